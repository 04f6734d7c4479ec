// Property (fast-check, seeded, real files): for any history, any clock and
// any files, a clear deletes a run exactly when a check by hand would let it:
// the record agrees with itself, its verification time is not ahead of the
// clock by more than the tolerance (a verification cannot have happened later
// than now), and every file is listed in the manifest (when there is one) and
// not changed after that time plus the tolerance. FUZZ_RUNS scales it.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { isCleanupError } from '../../src/domain/errors.ts';
import { LIFECYCLE_STATES, type LifecycleState } from '../../src/domain/lifecycle.ts';
import { formatTimestamp } from '../../src/domain/timestamps.ts';
import { createHarness } from '../helpers/serviceHarness.ts';
import { ingestFor, snapshotTree, writeIngest } from '../helpers/stagingTree.ts';

const CASES = Math.max(60, Math.round(Number(process.env.FUZZ_RUNS ?? 1000) / 10));
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
vi.setConfig({ testTimeout: Math.max(60_000, CASES * 300) });

const TOLERANCE_S = 300;
const DAY_S = 86_400;
const BASE_MS = Date.parse('2026-04-20T12:00:00Z');
const operator = { actor: 'property' };

interface StagedFile {
  name: string;
  // Seconds from the recorded verification time.
  writtenAfterVerificationS: number;
  listed: boolean;
}

const world = fc.record({
  nowOffsetS: fc.integer({ min: -2 * DAY_S, max: 2 * DAY_S }),
  // The recorded time against the clock: mostly past, near the tolerance, or years ahead.
  verifiedVsNowS: fc.oneof(
    { arbitrary: fc.integer({ min: -3 * DAY_S, max: 600 }), weight: 4 },
    { arbitrary: fc.constantFrom(TOLERANCE_S - 1, TOLERANCE_S, TOLERANCE_S + 1, 100 * 365 * DAY_S), weight: 1 },
  ),
  // The record's current_state: its latest entry's (often), or anything.
  currentState: fc.oneof(
    { arbitrary: fc.constant(null), weight: 4 },
    { arbitrary: fc.constantFrom(...LIFECYCLE_STATES), weight: 1 },
  ),
  // The states of the history's entries: as a writer makes them (often), or anything.
  history: fc.oneof(
    {
      arbitrary: fc.constantFrom<LifecycleState[]>(
        ['staging', 'complete', 'sync_queued', 'sync_verified'],
        ['staging', 'complete', 'sync_queued', 'sync_verified', 'cleared'],
        ['sync_verified', 'staging', 'complete', 'sync_queued', 'sync_verified'],
      ),
      weight: 3,
    },
    { arbitrary: fc.array(fc.constantFrom(...LIFECYCLE_STATES), { maxLength: 6 }), weight: 1 },
  ),
  manifest: fc.boolean(),
  files: fc.uniqueArray(
    fc.record({
      name: fc.constantFrom('a.tif', 'b.tif', 'sub/c.xml', 'd.raw'),
      writtenAfterVerificationS: fc.oneof(
        { arbitrary: fc.integer({ min: -2 * DAY_S, max: 0 }), weight: 8 },
        { arbitrary: fc.integer({ min: -10, max: 2 * TOLERANCE_S }), weight: 1 },
        { arbitrary: fc.integer({ min: 0, max: 2 * DAY_S }), weight: 1 },
      ),
      listed: fc.oneof({ arbitrary: fc.constant(true), weight: 8 }, { arbitrary: fc.constant(false), weight: 1 }),
    }),
    { minLength: 1, maxLength: 4, selector: (file) => file.name },
  ),
});

type World = fc.Arbitrary<typeof world extends fc.Arbitrary<infer T> ? T : never>;
type Case = World extends fc.Arbitrary<infer T> ? T : never;

const currentStateOf = (c: Case): LifecycleState => c.currentState ?? c.history.at(-1) ?? 'sync_verified';

// The check by hand, written from the rules rather than from the code.
function handCheckAllows(c: Case, nowMs: number, verifiedMs: number): boolean {
  const states = c.history;
  const current = currentStateOf(c);
  const lastVerified = states.lastIndexOf('sync_verified');
  const recordAgrees =
    states.length > 0 &&
    states.at(-1) === current &&
    (current === 'sync_verified' || current === 'cleared') &&
    lastVerified >= 0 &&
    states.slice(lastVerified + 1).every((state) => state === 'cleared');
  if (!recordAgrees) return false;
  if (verifiedMs > nowMs + TOLERANCE_S * 1000) return false;
  const realVerifiedMs = Math.min(verifiedMs, nowMs);
  return c.files.every(
    (file: StagedFile) =>
      (!c.manifest || file.listed) && verifiedMs + file.writtenAfterVerificationS * 1000 <= realVerifiedMs + TOLERANCE_S * 1000,
  );
}

function stageRun(root: string, runPath: string, c: Case, verifiedMs: number): string {
  const runDir = path.join(root, runPath);
  const at = formatTimestamp(new Date(verifiedMs));
  const record = ingestFor(runPath);
  record.current_state = currentStateOf(c);
  record.history = c.history.map((state: LifecycleState) => ({ state, at, host: 'labpc-04', nas_path: `//nas01/lab/${runPath}` }));
  writeIngest(runDir, record);
  const manifestLines: string[] = [];
  for (const file of c.files as StagedFile[]) {
    const full = path.join(runDir, file.name);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, file.name);
    const written = new Date(verifiedMs + file.writtenAfterVerificationS * 1000);
    fs.utimesSync(full, written, written);
    if (file.listed) manifestLines.push(`${'0'.repeat(64)}  ${file.name}`);
  }
  if (c.manifest) fs.writeFileSync(path.join(runDir, '.exlab-wizard', 'checksums.sha256'), manifestLines.sort().join('\n') + '\n');
  return runDir;
}

describe('no clear the record or the files forbid', () => {
  it('clears a run exactly when a check by hand against the manifest and the verification time allows it', async () => {
    const h = createHarness();
    let index = 0;
    await fc.assert(
      fc.asyncProperty(world, async (c) => {
        index += 1;
        const nowMs = BASE_MS + c.nowOffsetS * 1000;
        const verifiedMs = nowMs + c.verifiedVsNowS * 1000;
        h.now.value = new Date(nowMs);
        const runPath = `EQ/P/Runs/Run_${index}`;
        const runDir = stageRun(h.root, runPath, c, verifiedMs);
        const before = snapshotTree(runDir);
        const allowed = handCheckAllows(c, nowMs, verifiedMs);
        const outcome = await h.service.clearer.clear(runPath, operator).then(
          (answer) => answer.outcome,
          (error: unknown) => {
            if (!isCleanupError(error)) throw error;
            return error.code;
          },
        );
        if (allowed) {
          expect(outcome).toBe('cleared');
          expect(fs.existsSync(runDir)).toBe(false);
        } else {
          expect(outcome).not.toBe('cleared');
          expect(snapshotTree(runDir)).toEqual(before);
        }
      }),
      { seed: SEED, numRuns: CASES },
    );
  });
});
