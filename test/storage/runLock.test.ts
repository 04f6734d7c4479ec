import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunLocks, lockPathOf } from '../../src/storage/runLock.ts';
import { listTree, makeRun, makeTempDir } from '../helpers/stagingTree.ts';

let base: string;
let run: string;
beforeEach(() => {
  base = makeTempDir();
  run = makeRun(base, 'EQ/P/Runs/Run_1');
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

describe('run lock', () => {
  it('lives beside the run as a hidden folder, outside the run tree and apart from the Wizard lock', async () => {
    fs.writeFileSync(path.join(run, '.exlab-wizard/ingest.json.lock'), '');
    const before = listTree(run);
    const lock = await createRunLocks().tryAcquire(run);
    expect(lockPathOf(run)).toBe(path.join(base, 'EQ/P/Runs/.Run_1.staging-cleanup.lock'));
    expect(fs.statSync(lockPathOf(run)).isDirectory()).toBe(true);
    expect(listTree(run)).toEqual(before);
    await lock?.release();
    expect(fs.existsSync(lockPathOf(run))).toBe(false);
  });

  it('is held once within a process: a second acquire is refused until release', async () => {
    const locks = createRunLocks();
    const first = await locks.tryAcquire(run);
    expect(first).not.toBeNull();
    expect(await locks.tryAcquire(run)).toBeNull();
    await first?.release();
    const again = await locks.tryAcquire(run);
    expect(again).not.toBeNull();
    await again?.release();
  });

  it('is refused while another holder (another process) keeps the lock fresh', async () => {
    const holder = createRunLocks();
    const other = createRunLocks();
    const held = await holder.tryAcquire(run);
    expect(await other.tryAcquire(run)).toBeNull();
    await held?.release();
  });

  it('takes over a lock left stale by a holder that died, but never a fresh one', async () => {
    fs.mkdirSync(lockPathOf(run));
    const locks = createRunLocks({ staleMs: 5000 });
    expect(await locks.tryAcquire(run)).toBeNull();
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPathOf(run), old, old);
    const lock = await locks.tryAcquire(run);
    expect(lock).not.toBeNull();
    await lock?.release();
  });
});
