// The per-run lock of a clear (README "How a clear stays safe"), in-process and across processes that
// share the staging mount. The cross-process part is a proper-lockfile lock
// directory beside the run (`.<leaf>.staging-cleanup.lock`): outside the run
// tree, so it is never counted or deleted with it, and never the Wizard's own
// `ingest.json.lock` file. The folder records its holder (runLockHolder.ts):
// a lock of this host whose process is gone is taken over at once; a lock of
// another host, whose processes cannot be seen from here, once it goes stale.
// Run folders are named by their byte-string paths (RunLocation.diskPath).
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import {
  holderProcessGone,
  lockFolderFs,
  onDisk,
  readHolder,
  removeLockFolder,
  sameHolder,
  thisProcessAs,
  type LockHolder,
} from './runLockHolder.ts';

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

export interface RunLocks {
  // The lock, or null when another clear of the run holds it. With the
  // descriptor of the run's parent folder (kept open until the lock is
  // released), the lock folder is made, refreshed and removed through it, so
  // a parent swapped for a link meanwhile cannot redirect those operations.
  tryAcquire(runDir: string, parentFd?: number): Promise<HeldRunLock | null>;
  // Whether a clear (here or in another process) holds the run's lock now.
  isHeld(runDir: string): Promise<boolean>;
  // Who holds the run's lock, or null when nobody does.
  statusOf(runDir: string): Promise<LockStatus | null>;
  // Removes the run's lock if its holder was a process of this host that is
  // gone; true when it did.
  reclaimIfDead(runDir: string): Promise<boolean>;
  // When the longest-held lock of this process was taken (epoch ms), or null
  // when it holds none: a clear that hangs holds its lock on and on.
  oldestHeldSince(): number | null;
}

const LOCK_SUFFIX = '.staging-cleanup.lock';

export function lockPathOf(runDir: string, parentFd?: number): string {
  const parent = parentFd === undefined ? path.dirname(runDir) : `/proc/self/fd/${parentFd}`;
  return path.join(parent, `.${path.basename(runDir)}${LOCK_SUFFIX}`);
}

// The run folder a lock folder's name belongs to, or null for any other name.
export function runDirOfLock(lockDir: string): string | null {
  const name = path.basename(lockDir);
  if (!name.startsWith('.') || !name.endsWith(LOCK_SUFFIX) || name.length <= LOCK_SUFFIX.length + 1) return null;
  return path.join(path.dirname(lockDir), name.slice(1, -LOCK_SUFFIX.length));
}

export function createRunLocks(options: RunLockOptions = {}): RunLocks {
  // Each run whose lock this process holds (or is taking), since when.
  const heldHere = new Map<string, number>();
  const staleMs = options.staleMs ?? 20_000;
  // Refreshed four times per stale period, so a busy moment never looks stale.
  const updateMs = options.updateMs ?? staleMs / 4;
  const hostLabel = options.hostLabel ?? os.hostname();
  const folderFs = lockFolderFs(() => thisProcessAs(hostLabel, new Date()));
  const goneHere = (holder: LockHolder | null): holder is LockHolder =>
    holder !== null && holder.host === hostLabel && holderProcessGone(holder);

  const acquire = async (runDir: string, lockDir: string): Promise<HeldRunLock | null> => {
    let compromised = false;
    const listeners: Array<() => void> = [];
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(runDir, {
        lockfilePath: lockDir,
        realpath: false,
        retries: 0,
        stale: staleMs,
        update: updateMs,
        fs: folderFs,
        onCompromised: () => {
          compromised = true;
          for (const listener of listeners) listener();
        },
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return null;
      throw error;
    }
    return {
      get compromised() {
        return compromised;
      },
      onCompromised: (listener) => listeners.push(listener),
      release: async () => {
        if (!compromised) await release().catch(() => undefined);
        heldHere.delete(runDir);
      },
    };
  };

  const reclaimIfDead = async (runDir: string, lockDir = lockPathOf(runDir)): Promise<boolean> => {
    const seen = await readHolder(lockDir);
    if (!goneHere(seen)) return false;
    // Takers of this host go one at a time, and each judges the holder again
    // once it is their turn: a lock another taker has just made is never
    // mistaken for the dead one. mkdir then decides who gets the run.
    let releaseGuard: () => Promise<void>;
    try {
      releaseGuard = await lockfile.lock(lockDir, {
        lockfilePath: `${lockDir}.takeover`,
        realpath: false,
        retries: 0,
        stale: staleMs,
        fs: folderFs,
        onCompromised: () => undefined,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return false;
      throw error;
    }
    try {
      const current = await readHolder(lockDir);
      if (!goneHere(current) || !sameHolder(current, seen)) return false;
      await removeLockFolder(lockDir);
      options.logger?.warn(
        { lock: lockDir, holder_host: current.host, holder_pid: current.pid, held_since: current.acquired_at },
        'lock takeover: the process of this host that held the run lock is gone',
      );
      return true;
    } finally {
      await releaseGuard().catch(() => undefined);
    }
  };

  return {
    async isHeld(runDir) {
      if (heldHere.has(runDir)) return true;
      const fresh = await lockfile
        .check(runDir, { lockfilePath: lockPathOf(runDir), realpath: false, stale: staleMs, fs: folderFs })
        .catch(() => false);
      return fresh && !goneHere(await readHolder(lockPathOf(runDir)));
    },

    async statusOf(runDir) {
      const lockDir = lockPathOf(runDir);
      const stat = await fsp.lstat(onDisk(lockDir)).catch(() => null);
      if (!stat?.isDirectory()) return null;
      const holder = await readHolder(lockDir);
      return { holder, takeoverAt: holder?.host === hostLabel ? null : new Date(stat.mtimeMs + staleMs) };
    },

    reclaimIfDead: (runDir) => reclaimIfDead(runDir),

    oldestHeldSince: () => (heldHere.size === 0 ? null : Math.min(...heldHere.values())),

    async tryAcquire(runDir, parentFd) {
      if (heldHere.has(runDir)) return null;
      heldHere.set(runDir, Date.now());
      const lockDir = lockPathOf(runDir, parentFd);
      try {
        const lock =
          (await acquire(runDir, lockDir)) ?? ((await reclaimIfDead(runDir, lockDir)) ? await acquire(runDir, lockDir) : null);
        if (!lock) heldHere.delete(runDir);
        return lock;
      } catch (error) {
        heldHere.delete(runDir);
        throw error;
      }
    },
  };
}
