import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTreeWorkerPool, type TreeWorkerPool } from '../../src/storage/treeWorkerPool.ts';
import { makeRun, makeTempDir } from '../helpers/stagingTree.ts';

let base: string;
let pool: TreeWorkerPool;
beforeEach(() => {
  base = makeTempDir();
  pool = createTreeWorkerPool(2);
});
afterEach(async () => {
  await pool.close();
  fs.rmSync(base, { recursive: true, force: true });
});

describe('tree worker pool', () => {
  it('measures and deletes in a worker thread, reporting progress on the way', async () => {
    const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.dat`, 'x']));
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files });
    const [measure] = await pool.run('measure', { runs: [{ root: run }] }).result;
    expect(measure?.dataFiles).toBe(30);
    const progress: number[] = [];
    const outcome = await pool.run('delete', { root: run }, (p) => progress.push(p.files)).result;
    expect(outcome.files).toBe(measure?.files);
    expect(progress.at(-1)).toBe(outcome.files);
    expect(fs.existsSync(run)).toBe(false);
  });

  it('runs more tasks than workers by queueing them', async () => {
    const runs = Array.from({ length: 5 }, (_, i) => makeRun(base, `EQ/P/Runs/Run_${i}`));
    const results = await Promise.all(runs.map((root) => pool.run('delete', { root }).result));
    expect(results.every((outcome) => outcome.leftCount === 0)).toBe(true);
  });

  it('refuses new tasks once closed', async () => {
    await pool.close();
    await expect(pool.run('measure', { runs: [] }).result).rejects.toThrow(/closed/);
  });
});
