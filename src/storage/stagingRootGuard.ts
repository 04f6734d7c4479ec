// Is the staging root still the one the service started on? A root that was
// a mount point at start and no longer is (the volume was unmounted) is an
// empty folder of another filesystem: listing it would show no runs, and
// nothing there is ours. It is unavailable until the volume is back.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CleanupError } from '../domain/errors.ts';

export interface StagingRootGuard {
  // Null when usable, else why not.
  problem(): Promise<string | null>;
  // Null when this process can create and remove an entry in the root (as a
  // clear removes runs), else why not. Tried with a folder of its own.
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
    const probe = path.join(root, `.staging-cleanup-health-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.mkdir(probe);
      await fs.rmdir(probe);
      return null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return `this service cannot create and remove entries in ${root} (${code})`;
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
