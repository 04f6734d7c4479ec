// Property test (fast-check, seeded; FUZZ_RUNS and FUZZ_SEED as in fuzz.test.ts):
// whatever the tree, the pressure sweep never deletes a run that a manual
// clear would refuse, nor one verified less than min_retain_hours ago.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LIFECYCLE_STATES } from '../../src/domain/lifecycle.ts';
import pino from 'pino';
import { compose } from '../../src/compose.ts';
import { createTreeWorkerPool } from '../../src/storage/engine/treeWorkerPool.ts';
import { harnessConfig } from '../helpers/harnessConfig.ts';
import { makeRun, makeTempDir, snapshotTree, writeFiles } from '../helpers/stagingTree.ts';

const CASES = Math.max(20, Math.round(Number(process.env.FUZZ_RUNS ?? 1000) / 40));
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const NOW = new Date('2026-04-20T12:00:00Z');
const pool = createTreeWorkerPool();
afterAll(() => pool.close());

const runSpec = fc.record({
  state: fc.constantFrom(...LIFECYCLE_STATES),
  verifiedAt: fc.constantFrom('2026-04-18T00:00:00Z', '2026-04-20T09:00:00Z', '2026-04-20T11:30:00Z', '2026-04-25T00:00:00Z', null, 'garbage'),
  lateFile: fc.boolean(),
  manifest: fc.boolean(),
  size: fc.nat({ max: 3000 }),
});
const tree = fc.record({
  runs: fc.array(runSpec, { minLength: 1, maxLength: 6 }),
  minRetainHours: fc.constantFrom(0, 1, 2, 6),
});

describe('the pressure sweep against the manual clear', () => {
  it('never deletes a run a manual clear would refuse, whatever the tree', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async ({ runs, minRetainHours }) => {
        const base = makeTempDir();
        const root = path.join(base, 'staging');
        // Past the mark whatever the disk, never at the target: it tries every run it may.
        const pressure = { highWaterPercent: 0, targetPercent: 0, minRetainHours };
        const config = harnessConfig({ pressure }, root, path.join(base, 'journal'));
        const service = compose(config, { logger: pino({ level: 'silent' }), clock: () => NOW, pool });
        try {
          const runPaths = runs.map((spec, index) => {
            const runPath = `EQ/P/Runs/Run_${index}`;
            const dir = makeRun(root, runPath, {
              state: spec.state,
              verifiedAt: spec.verifiedAt,
              manifest: spec.manifest,
              files: { 'data.bin': 'x'.repeat(spec.size) },
            });
            if (spec.lateFile) writeFiles(dir, { 'late.bin': 'written after verification' });
            return runPath;
          });
          const manualAllows = new Map<string, boolean>();
          const before = new Map<string, Record<string, string>>();
          for (const runPath of runPaths) {
            const allowed = await service.clearer.clear(runPath, { actor: 'oracle', dryRun: true }).then(
              () => true,
              () => false,
            );
            manualAllows.set(runPath, allowed);
            before.set(runPath, snapshotTree(path.join(root, runPath)));
          }

          const report = await service.relievePressure({ actor: 'sweeper' });

          for (const [index, runPath] of runPaths.entries()) {
            const spec = runs[index]!;
            const gone = !fs.existsSync(path.join(root, runPath));
            const young =
              spec.verifiedAt === null ||
              Number.isNaN(Date.parse(spec.verifiedAt)) ||
              Date.parse(spec.verifiedAt) + minRetainHours * 3_600_000 > NOW.getTime();
            if (!manualAllows.get(runPath) || young) {
              expect(gone, `${runPath} ${JSON.stringify(spec)}`).toBe(false);
              expect(snapshotTree(path.join(root, runPath))).toEqual(before.get(runPath));
            }
            const cleared = report.results.some((result) => result.run_path === runPath && 'outcome' in result);
            expect(cleared).toBe(gone);
          }
        } finally {
          await service.close(1000);
          fs.rmSync(base, { recursive: true, force: true });
        }
      }),
      { seed: SEED, numRuns: CASES },
    );
  }, 120_000);
});
