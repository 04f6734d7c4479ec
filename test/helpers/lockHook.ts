// Run locks that call `before` each time a lock is tried: to change the tree
// between a clear's look and its lock, as another process might.
import type { RunLocks } from '../../src/storage/runLock.ts';

export function hookBeforeLock(locks: RunLocks, before: () => void): RunLocks {
  return {
    ...locks,
    tryAcquire: (runDir, parentFd) => {
      before();
      return locks.tryAcquire(runDir, parentFd);
    },
  };
}
