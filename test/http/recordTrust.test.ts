// A record that cannot be believed deletes nothing, whichever way a clear is
// asked for: a verification time in the future (a skewed clock, a hand-edited
// file) and a record whose state contradicts its history.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../helpers/appHarness.ts';
import { makeRun, readIngestJson, snapshotTree, writeIngest } from '../helpers/stagingTree.ts';

const NOW = new Date('2026-04-20T12:00:00Z');
const FUTURE = '2099-01-01T00:00:00Z';
// Written after the run was really verified (2026-04-17), long before "2099".
const LATE = new Date('2026-04-19T09:00:00Z');
const NO_MANIFEST = 'EQ/P/Runs/Run_future_no_manifest';
const REWRITTEN = 'EQ/P/Runs/Run_future_rewritten';
const REOPENED = 'EQ/P/Runs/Run_reopened';

function writeLate(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  fs.utimesSync(file, LATE, LATE);
}

// Two runs "verified in 2099": one without a manifest holding a late file,
// one whose listed file was rewritten in place after the real verification.
function makeFutureRuns(h: AppHarness): void {
  writeLate(path.join(makeRun(h.root, NO_MANIFEST, { verifiedAt: FUTURE, manifest: false }), 'late.tif'), 'new data');
  writeLate(path.join(makeRun(h.root, REWRITTEN, { verifiedAt: FUTURE }), 'image_0001.tif'), 'rewritten in place');
}

function makeReopenedRun(h: AppHarness): string {
  const runDir = makeRun(h.root, REOPENED);
  const ingest = readIngestJson(runDir);
  (ingest.history as unknown[]).push({ state: 'staging', at: '2026-04-19T08:00:00Z', host: 'labpc-04' });
  writeIngest(runDir, ingest);
  return runDir;
}

const harness = (mode = 'manual'): Promise<AppHarness> =>
  createAppHarness({ env: { STAGING_CLEANUP_MODE: mode }, clock: () => NOW });

describe('a verification time in the future', () => {
  it('is refused by eligibility and the listing, with the time and the clock in the message', async () => {
    const h = await harness();
    makeFutureRuns(h);
    for (const run of [NO_MANIFEST, REWRITTEN]) {
      const eligibility = (await h.http().get(`/api/v1/staging/${run}/eligibility`).expect(200)).body;
      expect(eligibility).toMatchObject({ reason: 'verified_in_future', clearable: false, auto_clear_eligible: false });
      expect(eligibility.message).toContain(FUTURE);
      expect(eligibility.message).toContain('2026-04-20T12:00:00Z');
    }
    const rows = (await h.http().get('/api/v1/staging').expect(200)).body.runs;
    expect(rows.map((row: { reason?: string; clearable: boolean }) => row.clearable)).toEqual([false, false]);
  });

  it('is refused by a dry run and a clear with 409 verified_in_future, deleting nothing', async () => {
    const h = await harness();
    makeFutureRuns(h);
    const before = snapshotTree(h.root);
    for (const run of [NO_MANIFEST, REWRITTEN]) {
      for (const query of ['?dry_run=true', '']) {
        const response = await h.http().post(`/api/v1/staging/${run}/clear${query}`).expect(409);
        expect(response.body.error).toMatchObject({
          code: 'verified_in_future',
          details: { verified_at: FUTURE, service_time: '2026-04-20T12:00:00Z', tolerance_seconds: 300 },
        });
      }
    }
    expect(snapshotTree(h.root)).toEqual(before);
    expect((await h.http().get('/api/v1/staging/clears').expect(200)).body.clears).toEqual([]);
  });

  it('is refused run by run in a set clear, by paths and all_verified, deleting nothing', async () => {
    const h = await harness();
    makeFutureRuns(h);
    const before = snapshotTree(h.root);
    for (const body of [{ run_paths: [NO_MANIFEST, REWRITTEN] }, { all_verified: true }]) {
      const { results } = (await h.http().post('/api/v1/staging/clear').send(body).expect(200)).body;
      expect(results).toHaveLength(2);
      for (const result of results) expect(result.error.code).toBe('verified_in_future');
    }
    expect(snapshotTree(h.root)).toEqual(before);
  });

  it('is skipped by the sweep with its reason, logged and counted', async () => {
    const h = await harness('scheduled');
    makeFutureRuns(h);
    const before = snapshotTree(h.root);
    const { results } = (await h.http().post('/api/v1/staging/sweep').expect(200)).body;
    expect(results.map((result: { run_path: string; error: { code: string } }) => [result.run_path, result.error.code]).sort()).toEqual([
      ['EQ/P/Runs/Run_future_no_manifest', 'verified_in_future'],
      ['EQ/P/Runs/Run_future_rewritten', 'verified_in_future'],
    ]);
    expect(snapshotTree(h.root)).toEqual(before);
    const skipped = h.logs.filter((line) => line.msg === 'sweep did not clear a run');
    expect(skipped).toHaveLength(2);
    const metrics = (await h.http().get('/metrics').expect(200)).text;
    expect(metrics).toContain('staging_cleanup_sweep_runs_total{result="skipped",reason="verified_in_future"} 2');
  });

  it('is not finished by the sweep when it is an interrupted clear', async () => {
    const h = await harness('scheduled');
    makeRun(h.root, 'EQ/P/Runs/Run_interrupted', { state: 'cleared', verifiedAt: FUTURE });
    const before = snapshotTree(h.root);
    const { results } = (await h.http().post('/api/v1/staging/sweep').expect(200)).body;
    expect(results).toMatchObject([{ run_path: 'EQ/P/Runs/Run_interrupted', error: { code: 'verified_in_future' } }]);
    expect(snapshotTree(h.root)).toEqual(before);
  });

  it('clears a run whose verification time is ahead of the clock by less than the tolerance', async () => {
    const h = await harness();
    const runDir = makeRun(h.root, 'EQ/P/Runs/Run_skewed', { verifiedAt: '2026-04-20T12:04:00Z' });
    const response = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_skewed/clear').expect(200);
    expect(response.body.outcome).toBe('cleared');
    expect(fs.existsSync(runDir)).toBe(false);
  });

  it('counts a verification time ahead of the clock as now: a file stamped past now plus the tolerance is unsynced', async () => {
    const h = await harness();
    const runDir = makeRun(h.root, 'EQ/P/Runs/Run_skewed', { verifiedAt: '2026-04-20T12:04:00Z', manifest: false });
    // Before the verification time plus the tolerance (12:09), after now plus the tolerance (12:05).
    const stamp = new Date('2026-04-20T12:06:00Z');
    fs.utimesSync(path.join(runDir, 'image_0001.tif'), stamp, stamp);
    const response = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_skewed/clear').expect(409);
    expect(response.body.error).toMatchObject({
      code: 'unsynced_files',
      details: { unsynced: [{ path: 'image_0001.tif', reason: 'modified_after_verification' }] },
    });
    expect(fs.existsSync(path.join(runDir, 'image_0001.tif'))).toBe(true);
  });

  it('clears once the clock has passed the verification time', async () => {
    let now = NOW;
    const h = await createAppHarness({ clock: () => now });
    makeRun(h.root, 'EQ/P/Runs/Run_later', { verifiedAt: '2026-04-21T00:00:00Z' });
    await h.http().post('/api/v1/staging/EQ/P/Runs/Run_later/clear').expect(409);
    now = new Date('2026-04-21T00:00:01Z');
    expect((await h.http().post('/api/v1/staging/EQ/P/Runs/Run_later/clear').expect(200)).body.outcome).toBe('cleared');
  });
});

describe('a record whose state contradicts its history', () => {
  it('is refused by eligibility, the listing, a clear and the sweep with ingest_inconsistent naming both states', async () => {
    const h = await harness('scheduled');
    const runDir = makeReopenedRun(h);
    const before = snapshotTree(runDir);
    const eligibility = (await h.http().get(`/api/v1/staging/${REOPENED}/eligibility`).expect(200)).body;
    expect(eligibility).toMatchObject({ reason: 'ingest_inconsistent', clearable: false, auto_clear_eligible: false });
    expect(eligibility.message).toContain('current_state is sync_verified but the latest history entry says staging');
    const [row] = (await h.http().get('/api/v1/staging').expect(200)).body.runs;
    expect(row).toMatchObject({ run_path: REOPENED, clearable: false, auto_clear_eligible: false, reason: 'ingest_inconsistent' });
    const refused = await h.http().post(`/api/v1/staging/${REOPENED}/clear`).expect(422);
    expect(refused.body.error).toMatchObject({
      code: 'ingest_inconsistent',
      details: { current_state: 'sync_verified', latest_state: 'staging' },
    });
    const { results } = (await h.http().post('/api/v1/staging/sweep').expect(200)).body;
    expect(results).toMatchObject([{ run_path: REOPENED, error: { code: 'ingest_inconsistent' } }]);
    expect(snapshotTree(runDir)).toEqual(before);
  });
});
