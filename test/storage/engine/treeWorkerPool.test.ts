import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTreeRunner } from '../../../src/storage/engine/treeRunner.ts';
import { createTreeWorkerPool, type TreeWorkerPool } from '../../../src/storage/engine/treeWorkerPool.ts';
import { runRefAt, withRunAt } from '../../helpers/runHandle.ts';
import { makeRun, makeTempDir, treeTotals } from '../../helpers/stagingTree.ts';

let base: string;
let pool: TreeWorkerPool;
beforeEach(() => {
  base = makeTempDir();
  pool = createTreeWorkerPool(4);
});
afterEach(async () => {
  await pool.close();
  fs.rmSync(base, { recursive: true, force: true });
});

function files(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`d${i % 7}/sub${i % 3}/f${i}.dat`, 'x'.repeat(i % 50)]));
}

describe('tree runner on worker threads', () => {
  it('surveys a run in shares and counts it exactly as one walk does', async () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { ...files(500), 'top.dat': 'top' } });
    const expected = treeTotals(run);
    for (const parallelism of [1, 2, 3]) {
      const survey = await withRunAt(run, (opened) => createTreeRunner(pool, parallelism).survey(opened.run.fd));
      expect(survey).toMatchObject({ files: expected.files, bytes: expected.bytes, dataFiles: expected.files - 3 });
      expect(survey.directories.map((d) => d.relativePath).sort()).toContain('');
      expect(new Set(survey.directories.map((d) => d.relativePath)).size).toBe(survey.directories.length);
    }
  });

  it('removes a surveyed run in parallel shares, reporting summed progress to the same totals', async () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: files(600) });
    const expected = treeTotals(run);
    const runner = createTreeRunner(pool, 2);
    const progress: number[] = [];
    const outcome = await withRunAt(run, async (opened) => {
      const survey = await runner.survey(opened.run.fd);
      return runner.remove(opened.at, survey, undefined, (p) => progress.push(p.files)).result;
    });
    expect(outcome).toMatchObject({ files: expected.files, bytes: expected.bytes, leftCount: 0, stopped: false });
    expect(progress.at(-1)).toBe(expected.files);
    expect(fs.existsSync(run)).toBe(false);
    expect(fs.existsSync(path.dirname(run))).toBe(true);
  });

  it('measures many runs across the workers, keeping their order', async () => {
    const runPaths = Array.from({ length: 5 }, (_, i) => `EQ/P/Runs/Run_${i}`);
    runPaths.forEach((runPath, i) => makeRun(base, runPath, { files: files(i * 10 + 1) }));
    const measures = await createTreeRunner(pool, 2).measureRuns(runPaths.map((runPath) => ({ run: runRefAt(base, runPath) })));
    expect(measures.map((m) => m?.dataFiles)).toEqual([1, 11, 21, 31, 41]);
  });

  it('runs tree work at a lower priority (nice 10) than the thread that answers requests', async () => {
    const niceOf = (task: string): number => Number(fs.readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]);
    const before = new Set(fs.readdirSync('/proc/self/task'));
    await pool.warm(2);
    const started = fs.readdirSync('/proc/self/task').filter((task) => !before.has(task));
    expect(started.map(niceOf).filter((nice) => nice === 10)).toHaveLength(2);
    expect(niceOf(String(process.pid))).toBe(0);
  });

  it('refuses new tasks once closed', async () => {
    await pool.close();
    await expect(pool.run('measure', { runs: [] }).result).rejects.toThrow(/closed/);
  });
});
