// How a tree worker reaches a run (see runDirectory.ts for the service's
// side). Kept apart from runDirectory.ts so that a worker does not load the
// error table and zod with it: each worker is an isolate of its own, and
// zod alone costs it about 10 MiB.
import { DirHandle } from './dirHandle.ts';
import type { RootPin } from './stagingRootGuard.ts';

// How a worker finds a run: a descriptor the caller holds open, or the
// staging root (with its pin) and the run's path below it as a byte string
// (opened and closed by the worker).
export type RunRef = { fd: number } | { stagingRoot: string; rootPin: RootPin; bytePath: string };

// In a worker: the run a reference names, handed to `work`; null when it
// cannot be opened (gone, a link, unreadable, below a mount point, or the
// root is no longer the pinned folder).
export function withRun<T>(ref: RunRef, work: (run: DirHandle) => T): T | null {
  if ('fd' in ref) return work(DirHandle.borrowed(ref.fd));
  let run: DirHandle;
  try {
    const root = DirHandle.openTrusted(ref.stagingRoot);
    try {
      const { dev, ino } = root.stat();
      if (dev !== ref.rootPin.dev || ino !== ref.rootPin.ino) return null;
      run = root.openPath(ref.bytePath);
    } finally {
      root.close();
    }
  } catch {
    return null;
  }
  try {
    // Where the kernel cannot refuse a mount point (no openat2), another device at least.
    return run.stat().dev === ref.rootPin.dev ? work(run) : null;
  } finally {
    run.close();
  }
}
