// The per-run lock of a clear (README "How a clear stays safe"), in-process and across processes that
// share the staging mount. The cross-process part is a lock folder beside the
// run (`.<leaf>.staging-cleanup.lock`): outside the run tree, so it is never
// counted or deleted with it, and never the Wizard's own `ingest.json.lock`
// file. mkdir decides who holds it; the holder refreshes its mtime and
// records itself in it (runLockHolder.ts). A lock of this host whose process
// is gone is taken over at once; a lock of another host, whose processes
// cannot be seen from here, once it goes stale; a live holder of this host's,
// never. Everything on disk goes through descriptors (runLockFolder.ts).
// Run folders are named by their byte-string paths (RunLocation.diskPath).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { showRunName } from '../domain/entryName.ts';
import { CleanupError } from '../domain/errors.ts';
import type { RunLocation } from '../domain/runPath.ts';
import { DirHandle } from './dirHandle.ts';
import { nativeAt } from './nativeAt.ts';
import {
  claimLockFolder,
  dropClaim,
  InvalidLock,
  makeLockFolder,
  openLockFolder,
  readHolder,
  removeLockFolder,
  stampLockFolder,
  type LockFolder,
} from './runLockFolder.ts';
import { holderProcessGone, isThisProcess, sameHolder, thisProcessAs, type LockHolder } from './runLockHolder.ts';

export { InvalidLock };

interface RunLockOptions {
  staleMs?: number;
  updateMs?: number;
  // Whose processes this one can see: the service's host_label.
  hostLabel?: string;
  logger?: { warn(facts: object, message: string): void };
}

export interface HeldRunLock {
  // Set when another process may have taken the lock over (ours went stale).
  readonly compromised: boolean;
  onCompromised(listener: () => void): void;
  release(): Promise<void>;
}

export interface LockStatus {
  // Null when the lock records no holder (being made, or left by an older version).
  holder: LockHolder | null;
  // When the lock is taken over if its holder has died; null for a holder of
  // this host, whose lock is taken over as soon as its process is gone.
  takeoverAt: Date | null;
}

// Each call names the run by its byte-string path and takes the descriptor
// of the run's parent folder, through which the lock is reached (the caller
// keeps it open until a lock it got is released). Without one, the parent is
// opened by its path: for callers that name a run by path (tests).
// Something at the lock's name that is not a lock folder of this service
// throws InvalidLock from tryAcquire; the other calls take it for no lock.
export interface RunLocks {
  // The lock, or null when another clear of the run holds it.
  tryAcquire(runDir: string, parentFd?: number): Promise<HeldRunLock | null>;
  // Whether a clear (here or in another process) holds the run's lock now.
  isHeld(runDir: string, parentFd?: number): Promise<boolean>;
  // Who holds the run's lock, or null when nobody does.
  statusOf(runDir: string, parentFd?: number): Promise<LockStatus | null>;
  // Removes the run's lock if its holder was a process of this host that is
  // gone; true when it did.
  reclaimIfDead(runDir: string, parentFd?: number): Promise<boolean>;
  // When the longest-held lock of this process was taken (epoch ms), or null
  // when it holds none: a clear that hangs holds its lock on and on.
  oldestHeldSince(): number | null;
}

const LOCK_SUFFIX = '.staging-cleanup.lock';
const PARENT_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY;
// NAME_MAX of Linux filesystems: a run whose lock name would be longer
// cannot be locked, so it is refused before anything is touched.
const NAME_MAX = 255;
export const MAX_RUN_NAME_BYTES = NAME_MAX - LOCK_SUFFIX.length - 1;

function lockNameOf(runName: string): string {
  return `.${runName}${LOCK_SUFFIX}`;
}

export function lockPathOf(runDir: string): string {
  return path.join(path.dirname(runDir), lockNameOf(path.basename(runDir)));
}

// The run folder a lock folder's name belongs to, or null for any other name.
export function runDirOfLock(lockDir: string): string | null {
  const name = path.basename(lockDir);
  if (!name.startsWith('.') || !name.endsWith(LOCK_SUFFIX) || name.length <= LOCK_SUFFIX.length + 1) return null;
  return path.join(path.dirname(lockDir), name.slice(1, -LOCK_SUFFIX.length));
}

// The run_name_too_long refusal for a run whose lock name would not fit, or null.
export function lockNameRefusal(location: RunLocation): CleanupError | null {
  const nameBytes = (location.segments.at(-1) ?? '').length;
  if (nameBytes <= MAX_RUN_NAME_BYTES) return null;
  return new CleanupError(
    'run_name_too_long',
    { runPath: location.runPath, nameBytes, maxBytes: MAX_RUN_NAME_BYTES },
    { details: { name_bytes: nameBytes, max_name_bytes: MAX_RUN_NAME_BYTES } },
  );
}

// The lock_invalid refusal for what stands at the run's lock name.
export function invalidLockRefusal(location: RunLocation, invalid: InvalidLock): CleanupError {
  const lockPath = `${path.dirname(location.absolutePath)}/${showRunName(lockNameOf(location.segments.at(-1) ?? '')).path}`;
  return new CleanupError(
    'lock_invalid',
    { runPath: location.runPath, lockPath, problem: invalid.problem },
    { details: { lock_path: lockPath, problem: invalid.problem } },
  );
}

type Verdict = 'held' | 'dead' | 'stale';

// The lock folders (by `dev:ino`) this process holds, whichever RunLocks took
// them: a lock that records this process but is not among them was left
// behind (its folder moved away and back while held), and is dead.
const heldByThisProcess = new Set<string>();

export function createRunLocks(options: RunLockOptions = {}): RunLocks {
  // Each run whose lock this process holds (or is taking), since when.
  const heldHere = new Map<string, number>();
  const staleMs = options.staleMs ?? 20_000;
  // Refreshed four times per stale period, so a busy moment never looks stale.
  const updateMs = options.updateMs ?? staleMs / 4;
  const hostLabel = options.hostLabel ?? os.hostname();

  const verdictOf = (folder: LockFolder): Verdict => {
    const { holder } = folder;
    if (holder?.host === hostLabel && isThisProcess(holder)) return heldByThisProcess.has(folder.id) ? 'held' : 'dead';
    if (holder?.host === hostLabel) return holderProcessGone(holder) ? 'dead' : 'held';
    return Date.now() - folder.mtimeMs > staleMs ? 'stale' : 'held';
  };

  const statusOfFolder = (folder: LockFolder): LockStatus => ({
    holder: folder.holder,
    takeoverAt: folder.holder?.host === hostLabel ? null : new Date(folder.mtimeMs + staleMs),
  });

  // The parent folder `work` reaches the lock through, closed after unless
  // `keep` says it now belongs to a held lock.
  const withParent = async <T>(
    runDir: string,
    parentFd: number | undefined,
    work: (parent: DirHandle, ownsParent: boolean) => Promise<T>,
    keep: (result: T) => boolean = () => false,
  ): Promise<T> => {
    const owns = parentFd === undefined;
    const parent = owns
      ? new DirHandle(nativeAt.open(Buffer.from(path.dirname(runDir), 'latin1'), PARENT_FLAGS))
      : DirHandle.borrowed(parentFd);
    let result: T | undefined;
    try {
      result = await work(parent, owns);
      return result;
    } finally {
      if (result === undefined || !keep(result)) parent.close();
    }
  };

  // What stands at the lock's name, for `work`; InvalidLock counts as no lock.
  const inspect = <T>(
    runDir: string,
    parentFd: number | undefined,
    work: (folder: LockFolder, parent: DirHandle) => Promise<T>,
    none: T,
  ): Promise<T> =>
    withParent(runDir, parentFd, async (parent) => {
      const folder = await openLockFolder(parent, lockNameOf(path.basename(runDir))).catch((error: unknown) => {
        if (error instanceof InvalidLock) return null;
        throw error;
      });
      if (!folder) return none;
      try {
        return await work(folder, parent);
      } finally {
        folder.dir.close();
      }
    });

  // Removes a lock found dead or stale, once this process holds the claim to
  // it and has judged it again: exactly one of several takers removes it,
  // and never a lock another taker has made since.
  const takeOver = async (parent: DirHandle, runDir: string, folder: LockFolder, verdict: Verdict): Promise<boolean> => {
    const name = lockNameOf(path.basename(runDir));
    const chain = await claimLockFolder(folder, staleMs);
    if (!chain) return false;
    const holder = await readHolder(folder.dir);
    const unchanged =
      parent.lstatOrNull(name)?.ino === folder.ino &&
      (holder === null || folder.holder === null ? holder === folder.holder : sameHolder(holder, folder.holder));
    if (!unchanged) {
      dropClaim(folder, chain);
      return false;
    }
    if (!(await removeLockFolder(parent, name, folder, chain))) return false;
    const { holder: was } = folder;
    options.logger?.warn(
      { lock: lockPathOf(runDir), holder_host: was?.host ?? null, holder_pid: was?.pid ?? null, held_since: was?.acquired_at ?? null },
      verdict === 'dead'
        ? 'lock takeover: the process of this host that held the run lock is gone'
        : 'lock takeover: the run lock was not refreshed for lock_stale_seconds',
    );
    return true;
  };

  const hold = (runDir: string, parent: DirHandle, ownsParent: boolean, folder: LockFolder): HeldRunLock => {
    const name = lockNameOf(path.basename(runDir));
    let compromised = false;
    let released = false;
    let stamp = folder.mtimeMs;
    const listeners: Array<() => void> = [];
    const lose = (): void => {
      compromised = true;
      clearInterval(timer);
      for (const listener of listeners) listener();
    };
    // Still ours: the folder at the lock's name, stamped as we left it (a
    // taker's claim changes its mtime).
    const ours = (): boolean => {
      try {
        return parent.lstatOrNull(name)?.ino === folder.ino && Math.floor(folder.dir.stat().mtimeMs / 1000) * 1000 === stamp;
      } catch {
        return false;
      }
    };
    const refresh = async (): Promise<void> => {
      if (released || compromised) return;
      if (!ours()) return lose();
      // A refresh that fails is tried again; a lock that cannot be refreshed goes stale.
      stamp = await stampLockFolder(folder.dir).catch(() => stamp);
    };
    const timer = setInterval(() => void refresh(), updateMs);
    timer.unref();
    return {
      get compromised() {
        return compromised;
      },
      onCompromised: (listener) => listeners.push(listener),
      release: async () => {
        released = true;
        clearInterval(timer);
        try {
          if (!compromised && ours()) await removeLockFolder(parent, name, folder);
        } catch {
          // A lock left behind is taken over: at once here, after lock_stale_seconds elsewhere.
        } finally {
          heldByThisProcess.delete(folder.id);
          folder.dir.close();
          if (ownsParent) parent.close();
          heldHere.delete(runDir);
        }
      },
    };
  };

  const acquire = async (runDir: string, parent: DirHandle, ownsParent: boolean): Promise<HeldRunLock | null> => {
    const name = lockNameOf(path.basename(runDir));
    // A second round after a takeover, or after a lock that went away meanwhile.
    for (let round = 0; round < 2; round += 1) {
      const made = await makeLockFolder(parent, name, thisProcessAs(hostLabel, new Date()), heldByThisProcess);
      if (made !== 'exists') return hold(runDir, parent, ownsParent, made);
      const folder = await openLockFolder(parent, name);
      if (!folder) continue;
      try {
        const verdict = verdictOf(folder);
        if (verdict === 'held' || !(await takeOver(parent, runDir, folder, verdict))) return null;
      } finally {
        folder.dir.close();
      }
    }
    return null;
  };

  return {
    async tryAcquire(runDir, parentFd) {
      if (heldHere.has(runDir)) return null;
      heldHere.set(runDir, Date.now());
      try {
        const lock = await withParent(runDir, parentFd, (parent, owns) => acquire(runDir, parent, owns), (held) => held !== null);
        if (!lock) heldHere.delete(runDir);
        return lock;
      } catch (error) {
        heldHere.delete(runDir);
        throw error;
      }
    },

    isHeld: async (runDir, parentFd) =>
      heldHere.has(runDir) || inspect(runDir, parentFd, async (folder) => verdictOf(folder) === 'held', false),

    statusOf: (runDir, parentFd) => inspect(runDir, parentFd, async (folder) => statusOfFolder(folder), null),

    reclaimIfDead: (runDir, parentFd) =>
      inspect(runDir, parentFd, async (folder, parent) => verdictOf(folder) === 'dead' && takeOver(parent, runDir, folder, 'dead'), false),

    oldestHeldSince: () => (heldHere.size === 0 ? null : Math.min(...heldHere.values())),
  };
}
