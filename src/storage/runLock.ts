// The per-run lock of DESIGN §4 step 2, in-process and across processes that
// share the staging mount. The cross-process part is a proper-lockfile lock
// directory beside the run (`.<leaf>.staging-cleanup.lock`): outside the run
// tree, so it is never counted or deleted with it, and never the Wizard's own
// `ingest.json.lock` file. A holder that dies leaves a lock that goes stale.
import path from 'node:path';
import lockfile from 'proper-lockfile';

export interface RunLockOptions {
  staleMs?: number;
  updateMs?: number;
}

export interface HeldRunLock {
  // Set when another process may have taken the lock over (ours went stale).
  readonly compromised: boolean;
  onCompromised(listener: () => void): void;
  release(): Promise<void>;
}

export interface RunLocks {
  // The lock, or null when another clear of the run holds it.
  tryAcquire(runDir: string): Promise<HeldRunLock | null>;
  // Whether a clear (here or in another process) holds the run's lock now.
  isHeld(runDir: string): Promise<boolean>;
}

export function lockPathOf(runDir: string): string {
  return path.join(path.dirname(runDir), `.${path.basename(runDir)}.staging-cleanup.lock`);
}

export function createRunLocks(options: RunLockOptions = {}): RunLocks {
  const heldHere = new Set<string>();
  const staleMs = options.staleMs ?? 20_000;
  // Refreshed four times per stale period, so a busy moment never looks stale.
  const updateMs = options.updateMs ?? staleMs / 4;

  return {
    async isHeld(runDir) {
      if (heldHere.has(runDir)) return true;
      return lockfile
        .check(runDir, { lockfilePath: lockPathOf(runDir), realpath: false, stale: staleMs })
        .catch(() => false);
    },
    async tryAcquire(runDir) {
      if (heldHere.has(runDir)) return null;
      heldHere.add(runDir);
      let compromised = false;
      const listeners: Array<() => void> = [];
      let release: () => Promise<void>;
      try {
        release = await lockfile.lock(runDir, {
          lockfilePath: lockPathOf(runDir),
          realpath: false,
          retries: 0,
          stale: staleMs,
          update: updateMs,
          onCompromised: () => {
            compromised = true;
            for (const listener of listeners) listener();
          },
        });
      } catch (error) {
        heldHere.delete(runDir);
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
    },
  };
}
