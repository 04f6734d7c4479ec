import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunLocks } from '../../src/storage/runLock.ts';
import { createAppHarness, type AppHarness } from '../helpers/appHarness.ts';
import { withImmutable } from '../helpers/faults.ts';
import { ingestFor, makeRun, snapshotTree, writeIngest } from '../helpers/stagingTree.ts';
import { itAsRoot } from '../helpers/root.ts';

const RUN = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32';
const ENCODED = encodeURIComponent(RUN);

// The error codes the OpenAPI document lists for one route and status.
async function documentedCodes(h: AppHarness, method: string, route: string, status: number): Promise<string[]> {
  const doc = (await h.app.inject('/openapi.json')).json();
  const schema = doc.paths[route]?.[method]?.responses?.[String(status)]?.content?.['application/json']?.schema;
  return schema?.properties?.error?.properties?.code?.enum ?? [];
}

describe('GET /api/v1/staging', () => {
  it('lists runs and problems', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    writeIngest(path.join(h.root, 'EQ/P/Runs/Run_bad'), '{');
    const response = await h.http().get('/api/v1/staging').expect(200);
    expect(response.body.runs.map((row: { run_path: string }) => row.run_path)).toEqual([RUN]);
    expect(response.body.problems).toMatchObject([{ run_path: 'EQ/P/Runs/Run_bad', code: 'ingest_invalid' }]);
  });

  it('filters by state, eligibility, equipment and kind from the query', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    makeRun(h.root, 'CONFOCAL_01/PROJ-0042/TestRuns/TestRun_1', { state: 'sync_queued' });
    const paths = async (query: string) =>
      (await h.http().get(`/api/v1/staging?${query}`).expect(200)).body.runs.map((r: { run_path: string }) => r.run_path);
    expect(await paths('state=sync_queued')).toEqual(['CONFOCAL_01/PROJ-0042/TestRuns/TestRun_1']);
    expect(await paths('run_kind=experimental&equipment_id=CONFOCAL_01')).toEqual([RUN]);
    expect(await paths('eligible=true')).toEqual([]);
  });

  it('takes equipment and kind from the folders, flags an ingest.json that claims otherwise, and journals the folder', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN, { extraIngest: { equipment_id: 'MICRO_03', run_kind: 'test' } });
    const [row] = (await h.http().get('/api/v1/staging?equipment_id=CONFOCAL_01').expect(200)).body.runs;
    expect(row).toMatchObject({
      equipment_id: 'CONFOCAL_01',
      project_id: 'PROJ-0042',
      run_kind: 'experimental',
      ingest_mismatch: ['equipment_id', 'run_kind'],
    });
    expect((await h.http().get('/api/v1/staging?equipment_id=MICRO_03').expect(200)).body.runs).toEqual([]);
    await h.http().post(`/api/v1/staging/${ENCODED}/clear`).expect(200);
    const [record] = (await h.http().get('/api/v1/staging/clears').expect(200)).body.clears;
    expect(record).toMatchObject({ equipment_id: 'CONFOCAL_01', run_kind: 'experimental' });
  });

  it('refuses an unknown filter or a bad value with validation_error naming it', async () => {
    const h = await createAppHarness();
    const bad = await h.http().get('/api/v1/staging?state=archived').expect(400);
    expect(bad.body.error).toMatchObject({ code: 'validation_error', field: 'query.state' });
    const typo = await h.http().get('/api/v1/staging?elgible=true').expect(400);
    expect(typo.body.error.code).toBe('validation_error');
  });

  it('answers 503 staging_root_unavailable when the staging root is gone', async () => {
    const h = await createAppHarness();
    fs.rmSync(h.root, { recursive: true });
    const response = await h.http().get('/api/v1/staging').expect(503);
    expect(response.body.error.code).toBe('staging_root_unavailable');
    expect(await documentedCodes(h, 'get', '/api/v1/staging', 503)).toContain('staging_root_unavailable');
  });
});

describe('{run_path} in the URL', () => {
  it.each([
    ['raw slashes', RUN],
    ['%2F-encoded', ENCODED],
    ['an absolute path under the root, raw', null],
    ['an absolute path under the root, encoded', null],
  ])('finds the run given with %s', async (form, given) => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    const requested = given ?? (form.endsWith('raw') ? run : encodeURIComponent(run));
    const detail = await h.http().get(`/api/v1/staging/${requested}`).expect(200);
    expect(detail.body).toMatchObject({ run_path: RUN, path: run, current_state: 'sync_verified' });
    const eligibility = await h.http().get(`/api/v1/staging/${requested}/eligibility`).expect(200);
    expect(eligibility.body).toMatchObject({ run_path: RUN, reason: 'manual_mode', clearable: true });
  });

  it.each([
    ['a raw parent segment', '/api/v1/staging/CONFOCAL_01/PROJ-0042/Runs/../../../../etc/clear'],
    ['an encoded parent segment', '/api/v1/staging/CONFOCAL_01%2FPROJ-0042%2FRuns%2F..%2F..%2F..%2Fetc/clear'],
    ['%2E%2E segments', '/api/v1/staging/CONFOCAL_01/PROJ-0042/Runs/%2E%2E/%2E%2E/x/clear'],
    ['a NUL byte', `/api/v1/staging/${RUN}%00/clear`],
    ['an absolute path outside the root', '/api/v1/staging/%2Fetc%2Fpasswd/clear'],
    ['the equipment folder', '/api/v1/staging/CONFOCAL_01/clear'],
    ['the project folder', '/api/v1/staging/CONFOCAL_01/PROJ-0042/clear'],
    ['a 5000-character path', `/api/v1/staging/CONFOCAL_01/PROJ-0042/Runs/Run_${'x'.repeat(5000)}/clear`],
  ])('refuses %s with 400 invalid_run_path and deletes nothing', async (_, url) => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const before = snapshotTree(h.root);
    const response = await h.http().post(url).expect(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_run_path', field: 'run_path' });
    expect(response.body.error.message).toMatch(/Invalid run path/);
    expect(snapshotTree(h.root)).toEqual(before);
  });

  it('takes a trailing slash as the same resource, never as part of the run path', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const answer = await h.http().get(`/api/v1/staging/${RUN}/eligibility/`).expect(200);
    expect(answer.body).toMatchObject({ run_path: RUN, reason: 'manual_mode' });
    await h.http().get(`/api/v1/staging/${RUN}/`).expect(200);
    await h.http().get('/api/v1/staging/clears/').expect(200);
    await h.http().get('/api/v1/jobs/?limit=5').expect(200);
  });

  it('answers 405 method_not_allowed with Allow for a method a run path does not take', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const refused = await h.http().delete(`/api/v1/staging/${RUN}`).expect(405);
    expect(refused.headers.allow).toBe('GET, HEAD');
    expect(refused.body.error.code).toBe('method_not_allowed');
    expect((await h.http().get(`/api/v1/staging/${RUN}/clear`).expect(405)).headers.allow).toBe('POST');
    expect(fs.existsSync(path.join(h.root, RUN))).toBe(true);
  });

  it('answers 404 run_not_found for a run that is not there', async () => {
    const h = await createAppHarness();
    const response = await h.http().get(`/api/v1/staging/${RUN}`).expect(404);
    expect(response.body.error.code).toBe('run_not_found');
    await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(404);
  });

  it('answers 400 for a URL that is not validly percent-encoded', async () => {
    const h = await createAppHarness();
    const response = await h.http().get('/api/v1/staging/%zz').expect(400);
    expect(response.body.error.code).toBe('bad_request');
  });
});

describe('POST /api/v1/staging/{run_path}/clear', () => {
  it('clears the run and answers the ClearResponse superset', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    const response = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200);
    expect(response.body).toMatchObject({ run_path: RUN, outcome: 'cleared', cleared_at: '2026-04-20T12:00:00Z' });
    expect(response.body.files_freed).toBe(6);
    expect(fs.existsSync(run)).toBe(false);
    const again = await h.http().post(`/api/v1/staging/${ENCODED}/clear`).expect(200);
    expect(again.body).toMatchObject({ outcome: 'already_cleared', record: { run_path: RUN, files_freed: 6 } });
  });

  it('deletes nothing on a dry run, by query or by body', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    const before = snapshotTree(run);
    const byQuery = await h.http().post(`/api/v1/staging/${RUN}/clear?dry_run=true`).expect(200);
    expect(byQuery.body).toMatchObject({ outcome: 'would_clear', files_freed: 6, cleared_at: null });
    await h.http().post(`/api/v1/staging/${RUN}/clear`).send({ dry_run: true }).expect(200);
    expect(snapshotTree(run)).toEqual(before);
  });

  const refusals: Array<[string, number, (dir: string) => void]> = [
    ['ingest_missing', 409, (dir) => fs.rmSync(path.join(dir, '.exlab-wizard/ingest.json'))],
    ['ingest_invalid', 422, (dir) => writeIngest(dir, 'not json')],
    ['schema_major_mismatch', 422, (dir) => writeIngest(dir, { ...ingestFor(RUN), schema_version: '3.0' })],
    ['staging_not_sync_verified', 409, (dir) => writeIngest(dir, ingestFor(RUN, { state: 'sync_queued' }))],
  ];

  it.each(refusals)('refuses with %s (%i), documented, leaving the run whole', async (code, status, spoil) => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    spoil(run);
    const before = snapshotTree(run);
    const response = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(status);
    expect(response.body.error).toMatchObject({ code, trace_id: response.headers['x-trace-id'] });
    expect(snapshotTree(run)).toEqual(before);
    expect(await documentedCodes(h, 'post', '/api/v1/staging/{run_path}/clear', status)).toContain(code);
  });

  it('refuses with 409 unsynced_files, listing the late file, when a staged file never reached the NAS', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    fs.writeFileSync(path.join(run, 'late_export.csv'), 'written after verification');
    const before = snapshotTree(run);
    const response = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(409);
    expect(response.body.error).toMatchObject({
      code: 'unsynced_files',
      details: { unsynced: [{ path: 'late_export.csv', reason: 'not_in_manifest' }], unsynced_count: 1 },
    });
    expect(snapshotTree(run)).toEqual(before);
    const row = (await h.http().get('/api/v1/staging').expect(200)).body.runs[0];
    expect(row).toMatchObject({ run_path: RUN, reason: 'unsynced_files', clearable: false });
  });

  it('refuses with 503 nas_unreachable when the NAS check is on and the nas_path is not mapped', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_VERIFY_NAS: 'size' } });
    makeRun(h.root, RUN);
    const response = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(503);
    expect(response.body.error.code).toBe('nas_unreachable');
    const eligibility = await h.http().get(`/api/v1/staging/${RUN}/eligibility`).expect(200);
    expect(eligibility.body).toMatchObject({ reason: 'nas_unreachable', clearable: false });
  });

  it('refuses with 409 clear_in_progress naming the holder, since when, and when it would be taken over', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_LOCK_STALE_SECONDS: '600' } });
    const run = makeRun(h.root, RUN);
    const other = await createRunLocks({ hostLabel: 'orch-2' }).tryAcquire(run);
    try {
      const before = snapshotTree(run);
      const response = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(409);
      const { code, message, details } = response.body.error;
      expect(code).toBe('clear_in_progress');
      expect(details).toEqual({
        holder: { host: 'orch-2', pid: process.pid, since: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) },
        takeover_at: expect.stringMatching(/Z$/),
      });
      // Its last refresh plus lock_stale_seconds.
      expect(Date.parse(details.takeover_at) - Date.parse(details.holder.since)).toBeGreaterThanOrEqual(599_000);
      expect(message).toBe(
        `${RUN} is being cleared by host orch-2 (process ${process.pid}) since ${details.holder.since}; ask again when it is done. ` +
          `If that process has died, its lock will be taken over at ${details.takeover_at}.`,
      );
      expect(snapshotTree(run)).toEqual(before);
    } finally {
      await other?.release();
    }
  });

  itAsRoot('refuses with 503 journal_unavailable, deleting nothing, when the journal cannot be written', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    fs.mkdirSync(h.journalDir);
    const file = path.join(h.journalDir, 'clears.test-host.jsonl');
    fs.writeFileSync(file, '');
    const before = snapshotTree(run);
    const response = await withImmutable([file], () => h.http().post(`/api/v1/staging/${RUN}/clear`).expect(503));
    expect(response.body.error.code).toBe('journal_unavailable');
    expect(snapshotTree(run)).toEqual(before);
  });

  itAsRoot('answers 500 clear_incomplete naming the file it could not delete, without a stack, then a retry finishes', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    const stuck = path.join(run, 'image_0002.tif');
    const response = await withImmutable([stuck], () => h.http().post(`/api/v1/staging/${RUN}/clear`).expect(500));
    expect(response.body.error).toMatchObject({
      code: 'clear_incomplete',
      // The manifest stays with ingest.json until everything else is gone.
      details: { left: [{ path: 'image_0002.tif', code: 'EPERM' }], left_count: 1, files_freed: 3 },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/\n\s+at /);
    const retry = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200);
    expect(retry.body).toMatchObject({ outcome: 'cleared', files_freed: 3 });
    expect(fs.existsSync(run)).toBe(false);
  });

  it('lets exactly one of 10 concurrent HTTP clears delete, and never answers 5xx', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN, { files: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, 'x'])) });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => h.http().post(`/api/v1/staging/${RUN}/clear`)),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((status) => status === 200 || status === 409)).toBe(true);
    const outcomes = responses.map((r) => r.body.outcome ?? r.body.error.code);
    expect(outcomes.filter((o) => o === 'cleared')).toHaveLength(1);
    expect(outcomes.every((o) => ['cleared', 'already_cleared', 'clear_in_progress'].includes(o))).toBe(true);
    const clears = await h.http().get('/api/v1/staging/clears').expect(200);
    expect(clears.body.clears).toHaveLength(1);
  });
});

describe('POST /api/v1/staging/clear and /sweep', () => {
  function seed(root: string): void {
    makeRun(root, 'EQ/P/Runs/Run_due', { verifiedAt: '2026-04-18T00:00:00Z' });
    makeRun(root, 'EQ/P/Runs/Run_recent', { verifiedAt: '2026-04-20T06:00:00Z' });
    makeRun(root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
  }

  it('answers one result per run for a set', async () => {
    const h = await createAppHarness();
    seed(h.root);
    const response = await h
      .http()
      .post('/api/v1/staging/clear')
      .send({ run_paths: ['EQ/P/Runs/Run_due', 'EQ/P/Runs/Run_queued', 'EQ/P/Runs/Run_gone', 'EQ/../x'] })
      .expect(200);
    expect(response.body.results).toMatchObject([
      { run_path: 'EQ/P/Runs/Run_due', outcome: 'cleared' },
      { run_path: 'EQ/P/Runs/Run_queued', error: { code: 'staging_not_sync_verified' } },
      { run_path: 'EQ/P/Runs/Run_gone', error: { code: 'run_not_found' } },
      { run_path: 'EQ/../x', error: { code: 'invalid_run_path' } },
    ]);
  });

  it('answers what all_verified would clear on a dry run, deleting nothing', async () => {
    const h = await createAppHarness();
    seed(h.root);
    const before = snapshotTree(h.root);
    const dry = await h.http().post('/api/v1/staging/clear?dry_run=true').send({ all_verified: true }).expect(200);
    expect(dry.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['would_clear', 'would_clear']);
    expect(snapshotTree(h.root)).toEqual(before);
  });

  it('clears every verified run with all_verified', async () => {
    const h = await createAppHarness();
    seed(h.root);
    const real = await h.http().post('/api/v1/staging/clear').send({ all_verified: true }).expect(200);
    expect(real.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['cleared', 'cleared']);
  });

  it('refuses a body with neither or both of run_paths and all_verified', async () => {
    const h = await createAppHarness();
    for (const body of [{}, { run_paths: ['a'], all_verified: true }, { run_paths: [] }, { all_verified: false }]) {
      const response = await h.http().post('/api/v1/staging/clear').send(body).expect(400);
      expect(response.body.error.code).toBe('validation_error');
    }
  });

  const SCHEDULED = { env: { STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600' } };

  it('answers what a dry sweep would clear, deleting nothing', async () => {
    const h = await createAppHarness(SCHEDULED);
    seed(h.root);
    const before = snapshotTree(h.root);
    const dry = await h.http().post('/api/v1/staging/sweep').send({ dry_run: true }).expect(200);
    expect(dry.body.results).toMatchObject([{ run_path: 'EQ/P/Runs/Run_due', outcome: 'would_clear' }]);
    expect(snapshotTree(h.root)).toEqual(before);
  });

  it('sweeps only auto-eligible runs in scheduled mode', async () => {
    const h = await createAppHarness(SCHEDULED);
    seed(h.root);
    const real = await h.http().post('/api/v1/staging/sweep').expect(200);
    expect(real.body.results).toMatchObject([{ run_path: 'EQ/P/Runs/Run_due', outcome: 'cleared' }]);
    expect(fs.readdirSync(path.join(h.root, 'EQ/P/Runs')).sort()).toEqual(['Run_queued', 'Run_recent']);
  });

  it('sweeps nothing in manual mode', async () => {
    const h = await createAppHarness();
    seed(h.root);
    const response = await h.http().post('/api/v1/staging/sweep').expect(200);
    expect(response.body.results).toEqual([]);
  });
});

describe('GET /api/v1/staging/clears', () => {
  it('lists the journal newest first with since and limit', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'EQ/P/Runs/Run_1');
    makeRun(h.root, 'EQ/P/Runs/Run_2');
    await h.http().post('/api/v1/staging/EQ/P/Runs/Run_1/clear').expect(200);
    await h.http().post('/api/v1/staging/EQ/P/Runs/Run_2/clear').expect(200);
    const all = await h.http().get('/api/v1/staging/clears').expect(200);
    expect(all.body.clears.map((r: { run_path: string }) => r.run_path)).toEqual(['EQ/P/Runs/Run_2', 'EQ/P/Runs/Run_1']);
    const limited = await h.http().get('/api/v1/staging/clears?limit=1&since=2026-04-20T00:00:00Z').expect(200);
    expect(limited.body.clears).toHaveLength(1);
    const none = await h.http().get('/api/v1/staging/clears?since=2026-04-21T00:00:00%2B00:00').expect(200);
    expect(none.body.clears).toEqual([]);
    const bad = await h.http().get('/api/v1/staging/clears?since=yesterday').expect(400);
    expect(bad.body.error).toMatchObject({ code: 'validation_error', field: 'query.since' });
  });
});
