// A verification time that is missing or cannot be parsed refuses every
// clear, whichever way it is asked for: without it no file can be tested
// against the verification, and the time test is never skipped.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../helpers/appHarness.ts';
import { makeRun, snapshotTree } from '../helpers/stagingTree.ts';

const NOW = new Date('2026-04-20T12:00:00Z');
// Each with a listed file rewritten in place after the real verification
// (2026-04-17): a clear that skipped the time test would delete it.
const BAD_TIMES = {
  'EQ/P/Runs/Run_garbage': { at: 'garbage', code: 'verified_time_unparsable' },
  'EQ/P/Runs/Run_feb30': { at: '2026-02-30T00:00:00Z', code: 'verified_time_unparsable' },
  'EQ/P/Runs/Run_no_time': { at: null, code: 'missing_verified_timestamp' },
} as const;
const RUNS = Object.keys(BAD_TIMES) as Array<keyof typeof BAD_TIMES>;
const GOOD = 'EQ/P/Runs/Run_good';

function makeRuns(h: AppHarness): void {
  for (const run of RUNS) {
    const file = path.join(makeRun(h.root, run, { verifiedAt: BAD_TIMES[run].at }), 'image_0001.tif');
    fs.writeFileSync(file, 'rewritten after the real verification');
    const rewrittenAt = new Date('2026-04-19T09:00:00Z');
    fs.utimesSync(file, rewrittenAt, rewrittenAt);
  }
}

const harness = (env: Record<string, string> = {}): Promise<AppHarness> =>
  createAppHarness({ env: { STAGING_CLEANUP_MODE: 'manual', ...env }, clock: () => NOW });

const codesOf = (results: Array<{ run_path: string; error?: { code: string }; outcome?: string }>): Record<string, string> =>
  Object.fromEntries(results.map((result) => [result.run_path, result.error?.code ?? result.outcome ?? '']));

const expectedCodes = (): Record<string, string> => Object.fromEntries(RUNS.map((run) => [run, BAD_TIMES[run].code]));

describe('a sync_verified time that is missing or cannot be parsed', () => {
  it('is named as the reason by the listing and eligibility, and the run is not clearable', async () => {
    const h = await harness();
    makeRuns(h);
    const rows = (await h.http().get('/api/v1/staging').expect(200)).body.runs as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(RUNS.length);
    for (const row of rows) expect(row).toMatchObject({ clearable: false, auto_clear_eligible: false });
    for (const run of RUNS) {
      const eligibility = (await h.http().get(`/api/v1/staging/${run}/eligibility`).expect(200)).body;
      expect(eligibility).toMatchObject({ reason: BAD_TIMES[run].code, clearable: false });
      expect(eligibility.message).toMatch(/correct the record/);
    }
  });

  it('is refused by a dry run and a clear with 422 and its own code, deleting nothing', async () => {
    const h = await harness();
    makeRuns(h);
    const before = snapshotTree(h.root);
    for (const run of RUNS) {
      for (const query of ['?dry_run=true', '']) {
        const response = await h.http().post(`/api/v1/staging/${run}/clear${query}`).expect(422);
        expect(response.body.error.code).toBe(BAD_TIMES[run].code);
      }
    }
    const garbage = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_garbage/clear').expect(422);
    expect(garbage.body.error.details).toEqual({ verified_at_text: 'garbage' });
    expect(snapshotTree(h.root)).toEqual(before);
    expect((await h.http().get('/api/v1/staging/clears').expect(200)).body.clears).toEqual([]);
  });

  it('is refused run by run in a set clear, by paths and by all_verified, while a good run clears', async () => {
    const h = await harness();
    makeRuns(h);
    const before = snapshotTree(path.join(h.root, 'EQ/P/Runs/Run_garbage'));
    const { results } = (await h.http().post('/api/v1/staging/clear').send({ run_paths: RUNS }).expect(200)).body;
    expect(codesOf(results)).toEqual(expectedCodes());
    makeRun(h.root, GOOD);
    const all = (await h.http().post('/api/v1/staging/clear').send({ all_verified: true }).expect(200)).body.results;
    expect(codesOf(all)).toEqual({ ...expectedCodes(), [GOOD]: 'cleared' });
    expect(snapshotTree(path.join(h.root, 'EQ/P/Runs/Run_garbage'))).toEqual(before);
  });

  it('is skipped by the scheduled sweep with its reason, even past the retain window', async () => {
    const h = await harness({ STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_RETAIN_HOURS: '1' });
    makeRuns(h);
    const before = snapshotTree(h.root);
    const { results } = (await h.http().post('/api/v1/staging/sweep').expect(200)).body;
    expect(codesOf(results)).toEqual(expectedCodes());
    expect(snapshotTree(h.root)).toEqual(before);
  });

  it('is never taken by the pressure sweep, past its high-water mark, while a good run is', async () => {
    const h = await harness({
      STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '2',
      STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '1',
      STAGING_CLEANUP_PRESSURE_MIN_RETAIN_HOURS: '0',
    });
    makeRuns(h);
    makeRun(h.root, GOOD);
    const before = snapshotTree(path.join(h.root, 'EQ/P/Runs/Run_feb30'));
    const report = (await h.http().post('/api/v1/staging/capacity/sweep').expect(200)).body;
    const skipped = Object.fromEntries(
      (report.skipped as Array<{ run_path: string; reason: string }>).map((skip) => [skip.run_path, skip.reason]),
    );
    expect(skipped).toEqual(expectedCodes());
    expect(fs.existsSync(path.join(h.root, GOOD))).toBe(false);
    expect(snapshotTree(path.join(h.root, 'EQ/P/Runs/Run_feb30'))).toEqual(before);
  });
});
