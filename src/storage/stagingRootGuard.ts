// Is the staging root still the folder the service started on? Its device
// and inode are pinned at start (or when it is first seen, if it was missing
// then), and every opening of the root for work on runs is checked against
// the pin on the descriptor it got, so that a root swapped for a link or for
// another folder, or a volume unmounted from under it (the folder left is
// another filesystem's, empty or not), is never taken for this root: its runs
// are neither listed nor cleared until the same folder is back or the
// service is restarted.
import fs from 'node:fs/promises';
import path from 'node:path';
import { CleanupError } from '../domain/errors.ts';
import { DirHandle, errorCode, type EntryStat } from './dirHandle.ts';
import { folderWriteProblem } from './writeAccess.ts';

// The staging root's identity, as the tree workers check it too.
export interface RootPin {
  dev: number;
  ino: number;
}

export interface StagingRootGuard {
  readonly path: string;
  // The pinned identity; staging_root_unavailable before the root was seen.
  pin(): RootPin;
  // The root, opened and checked against the pin; staging_root_unavailable
  // naming why otherwise. The caller closes it.
  open(): Promise<DirHandle>;
  // Null when usable (there, the pinned folder, readable), else why not.
  problem(): Promise<string | null>;
  // Null when this process can create and remove an entry in the root (as a
  // clear removes runs), else why not. Asked of the kernel: nothing is created.
  writeProblem(): Promise<string | null>;
  ensureAvailable(): Promise<void>;
}

interface Pinned extends RootPin {
  // Whether the root was a mount point when pinned: to say so when it goes.
  mountPoint: boolean;
}

const UNTIL = 'no run is listed or cleared until the original folder is back or the service is restarted';

export function createStagingRootGuard(root: string): StagingRootGuard {
  let pinned: Pinned | null = null;

  const pinFrom = (stat: EntryStat): Pinned => {
    let parentDev: number | null = null;
    try {
      const parent = DirHandle.openTrusted(path.dirname(root));
      try {
        parentDev = parent.stat().dev;
      } finally {
        parent.close();
      }
    } catch {
      // Its parent unreadable: the root is taken as no mount point.
    }
    return { dev: stat.dev, ino: stat.ino, mountPoint: parentDev !== null && parentDev !== stat.dev };
  };

  // Why the folder opened is not the pinned one (a sentence), or null. What
  // stands at the path now is looked at only to say why.
  const mismatch = async (stat: EntryStat): Promise<string | null> => {
    pinned ??= pinFrom(stat);
    if (stat.dev === pinned.dev && stat.ino === pinned.ino) return null;
    const link = await fs.readlink(root).catch(() => null);
    if (link !== null) return `${root} is now a symbolic link (to ${link}), not the folder the service started on; ${UNTIL}`;
    const parentDev = await fs.stat(path.dirname(root)).then(
      (parent) => parent.dev,
      () => null,
    );
    if (pinned.mountPoint && parentDev === stat.dev) return `${root} was a mount point and is no longer mounted; ${UNTIL}`;
    const was = `${pinned.dev}:${pinned.ino}`;
    return `${root} is another folder than the one the service started on (device:inode ${stat.dev}:${stat.ino}, was ${was}): it was replaced or remounted; ${UNTIL}`;
  };

  // The root opened and checked, or why it cannot be used.
  const openOrWhy = async (): Promise<DirHandle | string> => {
    let folder: DirHandle;
    try {
      folder = await DirHandle.openTrustedAsync(root);
    } catch (error) {
      return `${root} cannot be opened (${errorCode(error)})`;
    }
    const why = await mismatch(folder.stat()).catch((error: unknown) => `${root} cannot be examined (${errorCode(error)})`);
    if (why === null) return folder;
    await folder.closeAsync();
    return why;
  };

  const unavailable = (why: string): CleanupError => new CleanupError('staging_root_unavailable', { why });

  // The opened root handed to `work`, closed after; or why it cannot be.
  const withRoot = async (work: (folder: DirHandle) => Promise<string | null>): Promise<string | null> => {
    const folder = await openOrWhy();
    if (typeof folder === 'string') return folder;
    try {
      return await work(folder);
    } finally {
      await folder.closeAsync();
    }
  };

  const problem = (): Promise<string | null> =>
    withRoot((folder) =>
      fs.readdir(folder.pathOf('')).then(
        () => null,
        (error: NodeJS.ErrnoException) => `${root} cannot be read (${error.code ?? error.message})`,
      ),
    );

  const writeProblem = (): Promise<string | null> =>
    withRoot(async (folder) => {
      const code = await folderWriteProblem(folder);
      return code === null ? null : `this service cannot create and remove entries in ${root} (${code})`;
    });

  // Pinned now when the root is there: the folder the service starts on.
  try {
    const folder = DirHandle.openTrusted(root);
    try {
      pinned = pinFrom(folder.stat());
    } finally {
      folder.close();
    }
  } catch {
    // Missing or unreadable at start: pinned when first opened.
  }

  return {
    path: root,
    pin() {
      if (!pinned) throw unavailable(`${root} has not been opened yet`);
      return { dev: pinned.dev, ino: pinned.ino };
    },
    async open() {
      const folder = await openOrWhy();
      if (typeof folder === 'string') throw unavailable(folder);
      return folder;
    },
    problem,
    writeProblem,
    async ensureAvailable() {
      const why = await problem();
      if (why) throw unavailable(why);
    },
  };
}
