// Is the staging root still the one the service started on? A root that was
// a mount point at start and no longer is (the volume was unmounted) is an
// empty folder of another filesystem: listing it would show no runs, and
// nothing there is ours. It is unavailable until the volume is back.
import fs from 'node:fs/promises';
import path from 'node:path';
import { CleanupError } from '../domain/errors.ts';
import { DirHandle, errorCode } from './dirHandle.ts';
import { folderWriteProblem } from './writeAccess.ts';

export interface StagingRootGuard {
  // Null when usable, else why not.
  problem(): Promise<string | null>;
  // Null when this process can create and remove an entry in the root (as a
  // clear removes runs), else why not. Asked of the kernel: nothing is created.
  writeProblem(): Promise<string | null>;
  ensureAvailable(): Promise<void>;
}

export function createStagingRootGuard(root: string): StagingRootGuard {
  let wasMountPoint: boolean | null = null;

  const problem = async (): Promise<string | null> => {
    const [rootStat, parentStat] = await Promise.all([
      fs.stat(root).catch((error: NodeJS.ErrnoException) => error),
      fs.stat(path.dirname(root)).catch(() => null),
    ]);
    if (rootStat instanceof Error) return `${root} cannot be read (${rootStat.code ?? rootStat.message})`;
    if (!rootStat.isDirectory()) return `${root} is not a directory`;
    const isMountPoint = parentStat !== null && parentStat.dev !== rootStat.dev;
    wasMountPoint ??= isMountPoint;
    if (wasMountPoint && !isMountPoint) return `${root} was a mount point and is no longer mounted`;
    const readable = await fs.readdir(root).then(
      () => null,
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    );
    return readable ? `${root} cannot be read (${readable})` : null;
  };

  const writeProblem = async (): Promise<string | null> => {
    const folder = await DirHandle.openTrustedAsync(root).catch((error: unknown) => errorCode(error));
    if (typeof folder === 'string') return `this service cannot open ${root} (${folder})`;
    try {
      const code = await folderWriteProblem(folder);
      return code === null ? null : `this service cannot create and remove entries in ${root} (${code})`;
    } finally {
      await folder.closeAsync();
    }
  };

  return {
    problem,
    writeProblem,
    async ensureAvailable() {
      const why = await problem();
      if (why) {
        throw new CleanupError('staging_root_unavailable', { why });
      }
    },
  };
}
