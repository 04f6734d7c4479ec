import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { JobRegistry, KEEP_MS, KEPT_RUNS, MAX_KEPT } from '../../src/service/jobs.ts';
import { createAppHarness, REAL_CLOCK, type AppHarness } from '../helpers/appHarness.ts';
import { buildRunOfFiles } from '../helpers/bigRun.ts';
import { makeRun, treeTotals } from '../helpers/stagingTree.ts';
import { waitFor } from '../helpers/waitFor.ts';

const ASYNC = { prefer: 'respond-async' };

async function waitForJob(h: AppHarness, id: string, onPoll?: (job: Record<string, unknown>) => void) {
  for (;;) {
    const job = (await h.http().get(`/api/v1/jobs/${id}`).expect(200)).body;
    onPoll?.(job);
    if (job.finished_at !== null) return job;
    await sleep(10);
  }
}

describe('Prefer: respond-async', () => {
  // A listing and two clears of 20,000 files, polled every 10 ms: slow on a
  // shared, loaded machine (about 30 s here, before and after this change).
  it('answers 202 with Location and a job that moves, then succeeds with the counts of a synchronous clear', async () => {
    const h = await createAppHarness({ clock: REAL_CLOCK });
    buildRunOfFiles(h.root, 'EQ/P/Runs/Run_A', 20_000);
    buildRunOfFiles(h.root, 'EQ/P/Runs/Run_B', 20_000);
    await h.http().get('/api/v1/staging').expect(200);
    const accepted = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_A/clear').set(ASYNC).expect(202);
    expect(accepted.headers.location).toBe(`/api/v1/jobs/${accepted.body.id}`);
    expect(accepted.body).toMatchObject({
      kind: 'clear',
      state: 'queued',
      runs_total: 1,
      run_paths: ['EQ/P/Runs/Run_A'],
      files_freed: 0,
      files_total: 20_002,
      results: null,
      error: null,
    });
    const seen: number[] = [];
    const job = await waitForJob(h, accepted.body.id, (polled) => seen.push(polled.files_freed as number));
    const sync = (await h.http().post('/api/v1/staging/EQ/P/Runs/Run_B/clear').expect(200)).body;
    expect(job).toMatchObject({
      state: 'succeeded',
      runs_cleared: 1,
      runs_failed: 0,
      files_freed: sync.files_freed,
      bytes_freed: sync.bytes_freed,
    });
    expect(job.results).toMatchObject([{ run_path: 'EQ/P/Runs/Run_A', outcome: 'cleared', files_freed: sync.files_freed }]);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.some((files) => files > 0 && files < sync.files_freed)).toBe(true);
    // Created, started and finished, in that order (null would read as NaN).
    const times = [job.created_at, job.started_at, job.finished_at].map((at) => Date.parse(at as string));
    expect(times.every(Number.isFinite)).toBe(true);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  }, 180_000);

  it('ends a refused clear as a failed job carrying the error code', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
    const accepted = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_queued/clear').set(ASYNC).expect(202);
    const job = await waitForJob(h, accepted.body.id);
    expect(job).toMatchObject({
      state: 'failed',
      runs_total: 1,
      runs_cleared: 0,
      runs_failed: 1,
      error: { code: 'staging_not_sync_verified' },
      results: [],
    });
    const missing = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_none/clear').set(ASYNC).expect(202);
    expect((await waitForJob(h, missing.body.id)).error.code).toBe('run_not_found');
  });

  it('still refuses an invalid request at once, without a job', async () => {
    const h = await createAppHarness();
    const bad = await h.http().post('/api/v1/staging/EQ/../etc/clear').set(ASYNC).expect(400);
    expect(bad.body.error.code).toBe('invalid_run_path');
    await h.http().post('/api/v1/staging/clear').set(ASYNC).send({ nothing: true }).expect(400);
    expect((await h.http().get('/api/v1/jobs').expect(200)).body.jobs).toEqual([]);
  });

  it('tells one of an asynchronous and a synchronous clear of the same run that the other is clearing it', async () => {
    const h = await createAppHarness({ clock: REAL_CLOCK });
    buildRunOfFiles(h.root, 'EQ/P/Runs/Run_1', 20_000);
    // The synchronous clear is sent once the asynchronous one holds the run
    // (it has recorded its intent in ingest.json), or first if the job loses.
    const intentRecorded = new Promise<void>((resolve) => {
      const stop = h.program.events.on('run_state', () => {
        stop();
        resolve();
      });
    });
    const [accepted, sync] = await Promise.all([
      h.http().post('/api/v1/staging/EQ/P/Runs/Run_1/clear').set(ASYNC),
      intentRecorded.then(() => h.http().post('/api/v1/staging/EQ/P/Runs/Run_1/clear')),
    ]);
    expect(accepted.status).toBe(202);
    const job = await waitForJob(h, accepted.body.id);
    const outcomes = [job.results?.[0]?.outcome ?? job.error?.code, sync.body.outcome ?? sync.body.error.code];
    expect(outcomes.filter((outcome) => outcome === 'cleared')).toHaveLength(1);
    expect(outcomes.every((o) => ['cleared', 'clear_in_progress', 'already_cleared'].includes(o))).toBe(true);
    expect(sync.status).toBeLessThan(500);
  }, 120_000);

  const SCHEDULED = { env: { STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600' } };

  it('runs a set as a job, with a result per run and a state that says when some failed', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'EQ/P/Runs/Run_a');
    const set = await h.http().post('/api/v1/staging/clear').set(ASYNC).send({ run_paths: ['EQ/P/Runs/Run_a', 'EQ/P/Runs/Run_x'] }).expect(202);
    expect(set.body).toMatchObject({ kind: 'clear_set', runs_total: 2, run_paths: ['EQ/P/Runs/Run_a', 'EQ/P/Runs/Run_x'] });
    const done = await waitForJob(h, set.body.id);
    expect(done).toMatchObject({ state: 'partially_failed', runs_total: 2, runs_cleared: 1, runs_failed: 1, error: null });
    expect(done.results).toMatchObject([
      { run_path: 'EQ/P/Runs/Run_a', outcome: 'cleared' },
      { run_path: 'EQ/P/Runs/Run_x', error: { code: 'run_not_found' } },
    ]);
  });

  it('runs a sweep as a job of the runs it clears, freeing their files; with none to clear, an empty one', async () => {
    const h = await createAppHarness(SCHEDULED);
    const runs = ['EQ/P/Runs/Run_b', 'EQ/P/Runs/Run_c'].map((run) => makeRun(h.root, run));
    const files = runs.reduce((sum, run) => sum + treeTotals(run).files, 0);
    const sweep = await h.http().post('/api/v1/staging/sweep').set(ASYNC).expect(202);
    const swept = await waitForJob(h, sweep.body.id);
    expect(swept).toMatchObject({ kind: 'sweep', state: 'succeeded', runs_total: 2, runs_cleared: 2, runs_failed: 0, files_freed: files });
    expect([...swept.run_paths].sort()).toEqual(['EQ/P/Runs/Run_b', 'EQ/P/Runs/Run_c']);
    const empty = await h.http().post('/api/v1/staging/sweep').set(ASYNC).expect(202);
    expect(await waitForJob(h, empty.body.id)).toMatchObject({ state: 'succeeded', runs_total: 0, run_paths: [] });
  });

  it('ends a batch job whose every run was refused as failed, each run with its error', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'EQ/P/Runs/Run_q', { state: 'sync_queued' });
    const set = await h.http().post('/api/v1/staging/clear').set(ASYNC).send({ run_paths: ['EQ/P/Runs/Run_q', 'EQ/P/Runs/Run_x'] }).expect(202);
    const job = await waitForJob(h, set.body.id);
    expect(job).toMatchObject({ state: 'failed', runs_total: 2, runs_cleared: 0, runs_failed: 2, error: null });
    expect(job.results).toMatchObject([
      { run_path: 'EQ/P/Runs/Run_q', error: { code: 'staging_not_sync_verified' } },
      { run_path: 'EQ/P/Runs/Run_x', error: { code: 'run_not_found' } },
    ]);
  });

  it('refuses a job beyond jobs.max_pending with 503 job_queue_full and Retry-After, starting nothing', async () => {
    const h = await createAppHarness({ clock: REAL_CLOCK, env: { STAGING_CLEANUP_JOBS_MAX_PENDING: '1' } });
    buildRunOfFiles(h.root, 'EQ/P/Runs/Run_big', 20_000);
    makeRun(h.root, 'EQ/P/Runs/Run_small');
    const first = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_big/clear').set(ASYNC).expect(202);
    const refused = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_small/clear').set(ASYNC).expect(503);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.body.error).toMatchObject({ code: 'job_queue_full', message: expect.stringContaining('jobs.max_pending') });
    await h.http().post('/api/v1/staging/clear').set(ASYNC).send({ run_paths: ['EQ/P/Runs/Run_small'] }).expect(503);
    await h.http().post('/api/v1/staging/sweep').set(ASYNC).expect(503);
    expect(fs.existsSync(path.join(h.root, 'EQ/P/Runs/Run_small'))).toBe(true);
    expect((await h.http().get('/api/v1/jobs').expect(200)).body.jobs).toHaveLength(1);
    await waitForJob(h, first.body.id);
    await h.http().post('/api/v1/staging/EQ/P/Runs/Run_small/clear').set(ASYNC).expect(202);
  }, 180_000);

  it('refuses a set longer than 1000 runs, or with a run path over 4096 characters, before any job', async () => {
    const h = await createAppHarness();
    const tooMany = Array.from({ length: 1001 }, (_, i) => `EQ/P/Runs/Run_${i}`);
    await h.http().post('/api/v1/staging/clear').set(ASYNC).send({ run_paths: tooMany }).expect(400);
    await h.http().post('/api/v1/staging/clear').set(ASYNC).send({ run_paths: [`EQ/P/Runs/Run_${'x'.repeat(4096)}`] }).expect(400);
    expect((await h.http().get('/api/v1/jobs').expect(200)).body.jobs).toEqual([]);
  });
});

describe('GET /api/v1/jobs', () => {
  it('lists job summaries newest first, a page at a time', async () => {
    const h = await createAppHarness();
    const ids: string[] = [];
    for (const run of ['Run_1', 'Run_2', 'Run_3']) {
      ids.unshift((await h.http().post(`/api/v1/staging/EQ/P/Runs/${run}/clear`).set(ASYNC).expect(202)).body.id);
    }
    const first = (await h.http().get('/api/v1/jobs?limit=2').expect(200)).body;
    expect(first.jobs.map((job: { id: string }) => job.id)).toEqual(ids.slice(0, 2));
    expect(Object.keys(first.jobs[0])).not.toContain('run_paths');
    expect(Object.keys(first.jobs[0])).not.toContain('results');
    expect(first.jobs[0]).toMatchObject({ kind: 'clear', runs_total: 1 });
    const second = (await h.http().get(`/api/v1/jobs?limit=2&cursor=${first.next_cursor}`).expect(200)).body;
    expect(second).toEqual({ jobs: [expect.objectContaining({ id: ids[2] })], next_cursor: null });
  });

  it('refuses what it never gave: a job id (404 job_not_found), a cursor (400)', async () => {
    const h = await createAppHarness();
    const unknown = await h.http().get('/api/v1/jobs/no-such-job').expect(404);
    expect(unknown.body.error.code).toBe('job_not_found');
    await h.http().get('/api/v1/jobs?cursor=abc').expect(400);
  });

  it("gives a job's runs and results a page at a time", async () => {
    const h = await createAppHarness();
    const runPaths = Array.from({ length: 5 }, (_, i) => `EQ/P/Runs/Run_${i}`);
    const accepted = await h.http().post('/api/v1/staging/clear').set(ASYNC).send({ run_paths: runPaths }).expect(202);
    await waitForJob(h, accepted.body.id);
    const page = (await h.http().get(`/api/v1/jobs/${accepted.body.id}?runs_offset=2&runs_limit=2`).expect(200)).body;
    expect(page).toMatchObject({ runs_total: 5, runs_failed: 5, run_paths: runPaths.slice(2, 4), runs_offset: 2, next_runs_offset: 4 });
    expect(page.results.map((result: { run_path: string }) => result.run_path)).toEqual(runPaths.slice(2, 4));
    const last = (await h.http().get(`/api/v1/jobs/${accepted.body.id}?runs_offset=4`).expect(200)).body;
    expect(last).toMatchObject({ run_paths: runPaths.slice(4), next_runs_offset: null });
  });

  it('keeps the last 200 finished jobs, none finished more than 24 hours ago, and at most 10,000 runs among them', async () => {
    const now = { value: new Date('2026-04-20T12:00:00Z') };
    const registry = new JobRegistry(() => now.value, () => null, console, { maxPending: 10_000, concurrency: 4 });
    const done = async () => ({ results: [], error: null });
    const finished = (jobs: Array<{ id: string }>) => () => jobs.every((job) => registry.get(job.id)?.finished_at !== null);
    const old = registry.start({ kind: 'sweep', runPaths: [], work: done });
    await waitFor(finished([old]));
    now.value = new Date(now.value.getTime() + KEEP_MS + 60_000);
    const recent = Array.from({ length: MAX_KEPT + 10 }, () => registry.start({ kind: 'sweep', runPaths: [], work: done }));
    await waitFor(finished(recent));
    expect(registry.get(old.id)).toBeNull();
    expect(registry.list({ limit: 1000 }).jobs).toHaveLength(MAX_KEPT);
    const long = Array.from({ length: 25 }, () =>
      registry.start({ kind: 'clear_set', runPaths: Array.from({ length: 1000 }, (_, i) => `EQ/P/Runs/Run_${i}`), work: done }),
    );
    await waitFor(finished(long));
    const kept = registry.list({ limit: 1000 }).jobs;
    expect(kept.reduce((sum, job) => sum + job.runs_total, 0)).toBeLessThanOrEqual(KEPT_RUNS);
    expect(kept[0]?.id).toBe(long.at(-1)?.id);
  });

  it('runs at most jobs.concurrency jobs at once, queues up to jobs.max_pending, and refuses beyond', async () => {
    const registry = new JobRegistry(() => new Date(), () => null, console, { maxPending: 3, concurrency: 2 });
    const gates: Array<() => void> = [];
    const gated = () =>
      new Promise<{ results: []; error: null }>((resolve) => gates.push(() => resolve({ results: [], error: null })));
    const jobs = Array.from({ length: 3 }, () => registry.start({ kind: 'sweep', runPaths: [], work: gated }));
    await waitFor(() => gates.length === 2);
    expect(jobs.map((job) => registry.get(job.id)?.state)).toEqual(['running', 'running', 'queued']);
    expect(() => registry.start({ kind: 'sweep', runPaths: [], work: gated })).toThrow(
      expect.objectContaining({ code: 'job_queue_full' }),
    );
    gates[0]?.();
    await waitFor(() => gates.length === 3);
    expect(jobs.map((job) => registry.get(job.id)?.state)).toEqual(['succeeded', 'running', 'running']);
    registry.start({ kind: 'sweep', runPaths: [], work: gated });
    for (let next = 1; next < 4; next += 1) {
      await waitFor(() => gates.length > next);
      gates[next]?.();
    }
    await waitFor(() => registry.list({ limit: 10 }).jobs.every((job) => job.state === 'succeeded'));
  });
});
