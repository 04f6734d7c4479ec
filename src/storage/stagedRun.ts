// A staged run as a clear meets it on disk (README "How a clear stays safe"):
// opened through descriptors from the pinned staging root, on its filesystem,
// checked for write access, locked through its parent folder and opened
// afresh under the lock, its ingest.json read and appended to, surveyed and
// removed by the tree workers through the descriptor held. Descriptors,
// errno codes and permission refusals stay in here: callers see runs,
// records, surveys and refusals.
import path from 'node:path';
import type { IngestRecord, TransitionEntry } from '../domain/ingestRecord.ts';
import type { RunLocation } from '../domain/runPath.ts';
import type { SyncRules } from '../domain/syncCheck.ts';
import { DirHandle, errorCode } from './dirHandle.ts';
import { appendTransition, readIngest, type IngestFile } from './ingestStore.ts';
import { openRun, type OpenRun } from './runDirectory.ts';
import { InvalidLock, invalidLockRefusal, lockNameRefusal, type HeldRunLock, type LockStatus, type RunLocks } from './runLock.ts';
import type { StagingRootGuard } from './stagingRootGuard.ts';
import type { TreeNotifications } from './treeNotifications.ts';
import { isPermissionError, permissionDenied, permissionRefusal } from './writeAccess.ts';
import type { NasCheckArgs, NasCheckResult } from './engine/nasCopyCheck.ts';
import type { DeleteOutcome, DeleteProgress } from './engine/deleteTally.ts';
import type { TreeMeasure } from './engine/treeMeasure.ts';
import type { TreeRunner } from './engine/treeRunner.ts';

// What a caller of the handle meets: a run's record, its survey, the
// progress of its removal.
export type { DeleteOutcome, DeleteProgress, IngestFile, TreeMeasure };

// The run is not there (some folder on its path is missing).
export const GONE = Symbol('gone');
// Another clear holds the run's lock: who, if the lock says.
export class Busy {
  constructor(readonly holder: LockStatus | null) {}
}

// What a check of a run may ask of it, with or without its lock.
export interface StagedRun {
  readonly location: RunLocation;
  // Why this process could not remove the run, or null: run_name_too_long
  // (its lock name would not fit), staging_permission_denied (its folder or
  // its parent not writable).
  writeRefusal(): ReturnType<typeof permissionRefusal>;
  // The run's record, or null when it has no ingest.json.
  readIngest(): Promise<IngestFile | null>;
  // Counts, directory stamps and (with rules) the unsynced files.
  survey(rules: SyncRules | null): Promise<TreeMeasure>;
  nasCheck(args: Omit<NasCheckArgs, 'runFd'>): Promise<NasCheckResult>;
  // Watches the run's folders (by relative byte path, '' the run itself)
  // through its descriptor: each one's watch and stamp once watched; null
  // for a folder not there (any more), 'limit' once max_user_watches is reached.
  watchFolders(notifications: TreeNotifications, relativePaths: readonly string[]): Array<WatchedFolder | null | 'limit'>;
}

export interface WatchedFolder {
  wd: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
}

// A run whose lock this process holds: it may be written and removed.
export interface LockedRun extends StagedRun {
  // Appends the entry to ingest.json; answers the file's new size.
  appendTransition(record: IngestRecord, entry: TransitionEntry): Promise<number>;
  // Removes the surveyed run (only what the rules allow); stops if the lock is lost.
  remove(survey: TreeMeasure, rules: SyncRules | null, onProgress: (progress: DeleteProgress) => void): Promise<DeleteOutcome>;
  // Whether the lock was lost (taken over by another process) since it was taken.
  lockLost(): boolean;
}

interface StagedRunsDeps {
  root: StagingRootGuard;
  locks: RunLocks;
  runner: TreeRunner;
  ingestMaxBytes: number;
}

export type StagedRuns = ReturnType<typeof createStagedRuns>;

export function createStagedRuns(deps: StagedRunsDeps) {
  const { root, locks, runner, ingestMaxBytes } = deps;

  // `opened()` is the open run while the work it was opened for runs.
  const stagedRunOf = (location: RunLocation, opened: () => OpenRun): StagedRun => ({
    location,
    writeRefusal: async () => lockNameRefusal(location) ?? permissionRefusal(location, opened()),
    readIngest: async () => readIngest(opened().run, ingestMaxBytes),
    survey: async (rules) => runner.survey(opened().run.fd, rules ?? undefined),
    nasCheck: async (args) => runner.nasCheck({ ...args, runFd: opened().run.fd }),
    watchFolders: (notifications, relativePaths) => relativePaths.map((relativePath) => watchFolder(opened().run, relativePath, notifications)),
  });

  const lockedRunOf = (location: RunLocation, opened: () => OpenRun, lock: HeldRunLock): LockedRun => ({
    ...stagedRunOf(location, opened),
    appendTransition: async (record, entry) => (await appendTransition(opened().run, location, record, entry)).size,
    async remove(survey, rules, onProgress) {
      const { run, parent, name } = opened();
      const removal = runner.remove({ runFd: run.fd, parentFd: parent.fd, runName: name }, survey, rules ?? undefined, onProgress);
      lock.onCompromised(removal.stop);
      return removal.result;
    },
    lockLost: () => lock.compromised,
  });

  // The run opened for `work`, closed after; GONE when it is not there. A
  // handle kept past its work throws rather than use a descriptor number the
  // kernel may since have given to another file.
  const withOpened = async <T>(
    location: RunLocation,
    work: (opened: () => OpenRun) => Promise<T>,
  ): Promise<T | typeof GONE> => {
    const opened = await openRun(root, location);
    if (opened === 'missing') return GONE;
    let closed = false;
    try {
      return await work(() => {
        if (closed) throw new Error(`the staged run ${location.runPath} was used after its descriptors were closed`);
        return opened;
      });
    } finally {
      closed = true;
      await opened.close();
    }
  };

  const lockThrough = (location: RunLocation, opened: OpenRun): Promise<HeldRunLock | null> =>
    locks.tryAcquire(location.diskPath, opened.parent.fd).catch((error: unknown) => {
      if (error instanceof InvalidLock) throw invalidLockRefusal(location, error);
      throw isPermissionError(error) ? permissionDenied(path.dirname(location.absolutePath), errorCode(error)) : error;
    });

  // The folder holding the run, opened from the staging root as the run is,
  // for `work` on the run's lock (which outlives the run); null when it is
  // not there.
  const withParentOf = async <T>(location: RunLocation, work: (parentFd: number) => Promise<T>): Promise<T | null> => {
    let current: DirHandle | null = await root.open().catch(() => null);
    try {
      for (const segment of location.segments.slice(0, -1)) {
        if (!current) return null;
        const next: DirHandle | null = await current.openDirectoryAsync(segment).catch(() => null);
        await current.closeAsync();
        current = next;
      }
      return current ? await work(current.fd) : null;
    } finally {
      await current?.closeAsync();
    }
  };

  return {
    // The run, unlocked, for `work` that only looks (a dry run, a check).
    opened: <T>(location: RunLocation, work: (run: StagedRun) => Promise<T>): Promise<T | typeof GONE> =>
      withOpened(location, (opened) => work(stagedRunOf(location, opened))),

    // The run checked writable (refused before anything is locked or
    // written), locked through its parent folder, which stays open until the
    // lock goes, and opened afresh under the lock: another clear may have
    // finished it between the look and the lock.
    locked: <T>(location: RunLocation, work: (run: LockedRun) => Promise<T>): Promise<T | typeof GONE | Busy> =>
      withOpened(location, async (held) => {
        const denied = lockNameRefusal(location) ?? (await permissionRefusal(location, held()));
        if (denied) throw denied;
        const lock = await lockThrough(location, held());
        if (!lock) return new Busy(await locks.statusOf(location.diskPath, held().parent.fd));
        try {
          return await withOpened(location, (opened) => work(lockedRunOf(location, opened, lock)));
        } finally {
          await lock.release();
        }
      }),

    // Busy when a clear (here or in another process) holds the run's lock
    // now, else null: one still holding it may be finishing a run whose
    // folder is already gone.
    busyWith: async (location: RunLocation): Promise<Busy | null> =>
      withParentOf(location, async (parentFd) =>
        (await locks.isHeld(location.diskPath, parentFd)) ? new Busy(await locks.statusOf(location.diskPath, parentFd)) : null,
      ),
  };
}

function watchFolder(run: DirHandle, relativePath: string, notifications: TreeNotifications): WatchedFolder | null | 'limit' {
  let folder: DirHandle;
  try {
    folder = relativePath === '' ? run.borrow() : run.openPath(relativePath);
  } catch {
    return null;
  }
  try {
    const wd = notifications.watch(folder);
    if (wd === 'limit') return wd;
    const { ino, mtimeMs, ctimeMs } = folder.stat();
    return { wd, ino, mtimeMs, ctimeMs };
  } finally {
    folder.close();
  }
}
