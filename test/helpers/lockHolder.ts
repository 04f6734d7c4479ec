// Another process holding a run's lock, for the stale-lock tests. Prints
// "locked" once it holds it; releases it on a "release" line on stdin.
// Killed instead, it leaves the lock behind, as a crashed replica would.
// Usage: lockHolder.ts <run_dir> <stale_ms>
import readline from 'node:readline';
import { createRunLocks } from '../../src/storage/runLock.ts';

const [runDir, staleMs] = process.argv.slice(2);
if (!runDir || !staleMs) throw new Error('usage: lockHolder.ts <run_dir> <stale_ms>');
const lock = await createRunLocks({ staleMs: Number(staleMs), updateMs: Number(staleMs) / 2 }).tryAcquire(runDir);
if (!lock) throw new Error('the lock is already held');
process.stdout.write('locked\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line.trim() === 'release') break;
}
await lock.release();
process.stdout.write('released\n', () => process.exit(0));
