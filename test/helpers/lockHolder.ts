// Another process holding a run's lock, for the lock tests. Prints "locked"
// once it holds it (or "busy" and exits 3 when another holder has it);
// releases it on a "release" line on stdin. Killed instead, it leaves the
// lock behind, as a crashed service would. With --wait-for-go it tries only
// on a "go" line, so that several holders can race.
// Usage: lockHolder.ts <run_dir> <stale_ms> [host_label] [--wait-for-go]
import readline from 'node:readline';
import { createRunLocks } from '../../src/storage/runLock.ts';

const args = process.argv.slice(2);
const [runDir, staleMs, hostLabel] = args.filter((arg) => !arg.startsWith('--'));
if (!runDir || !staleMs) throw new Error('usage: lockHolder.ts <run_dir> <stale_ms> [host_label] [--wait-for-go]');
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const nextLine = async (wanted: string): Promise<void> => {
  for (let line = await lines.next(); !line.done; line = await lines.next()) if (line.value.trim() === wanted) return;
};
if (args.includes('--wait-for-go')) {
  process.stdout.write('ready\n');
  await nextLine('go');
}
const locks = createRunLocks({ staleMs: Number(staleMs), updateMs: Number(staleMs) / 2, ...(hostLabel ? { hostLabel } : {}) });
const lock = await locks.tryAcquire(runDir);
if (!lock) process.stdout.write('busy\n', () => process.exit(3));
else {
  process.stdout.write('locked\n');
  await nextLine('release');
  await lock.release();
  process.stdout.write('released\n', () => process.exit(0));
}
