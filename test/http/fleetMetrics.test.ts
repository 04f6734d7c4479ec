// The metrics the fleet's alert rules and dashboard need (src/fleetMetrics.ts),
// read from the program's registry after real requests on a real tree.
import fs from 'node:fs';
import path from 'node:path';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAppHarness, FRESH_HEALTH } from '../helpers/appHarness.ts';
import { withImmutable } from '../helpers/faults.ts';
import { itAsRoot } from '../helpers/root.ts';
import { makeRun } from '../helpers/stagingTree.ts';
import { withTmpfs } from '../helpers/tmpfs.ts';

const RUN = 'EQ/P/Runs/Run_1';
const SCHEDULED = { STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600' };

async function samples(registry: Registry, name: string): Promise<Array<{ labels: Record<string, unknown>; value: number }>> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  return (await metric.get()).values.map(({ labels, value }) => ({ labels: { ...labels }, value }));
}

async function valueOf(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const found = (await samples(registry, name)).filter((sample) =>
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return found.length === 1 ? found[0]?.value : undefined;
}

// The oldest run waiting for the sweep has waited since `iso`, to the second.
async function expectOldestWaitSince(registry: Registry, iso: string): Promise<void> {
  const since = Date.parse(iso);
  const before = Date.now();
  const waited = (await valueOf(registry, 'staging_cleanup_oldest_auto_eligible_age_seconds')) ?? 0;
  expect(waited).toBeGreaterThanOrEqual((before - since) / 1000);
  expect(waited).toBeLessThanOrEqual((Date.now() - since) / 1000);
}

describe('fleet metrics', () => {
  it('shows each check of /api/v1/health as 1 while it passes', async () => {
    const h = await createAppHarness();
    const { checks } = (await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200)).body;
    expect(Object.keys(checks)).toContain('journal');
    expect(await samples(h.program.metrics, 'staging_cleanup_health_check_ok')).toEqual(
      Object.keys(checks).map((check) => ({ labels: { check }, value: 1 })),
    );
  });

  itAsRoot('shows a failing health check as 0, naming it (staging root made immutable)', async () => {
    const h = await createAppHarness();
    await withImmutable([h.root], async () => {
      await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503);
      expect(await valueOf(h.program.metrics, 'staging_cleanup_health_check_ok', { check: 'staging_root_writable' })).toBe(0);
      expect(await valueOf(h.program.metrics, 'staging_cleanup_health_check_ok', { check: 'journal' })).toBe(1);
    });
  });

  itAsRoot('counts a clear whose journal record could not be written (journal volume full)', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    expect(await valueOf(h.program.metrics, 'staging_cleanup_journal_write_failures_total')).toBe(0);
    await withTmpfs(h.journalDir, '64k', async () => {
      try {
        fs.writeFileSync(path.join(h.journalDir, 'filler'), Buffer.alloc(1024 * 1024));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200);
    });
    expect(await valueOf(h.program.metrics, 'staging_cleanup_journal_write_failures_total')).toBe(1);
    expect(h.logs.some((line) => line.msg === 'journal write failed after a clear; the log keeps the record')).toBe(true);
  });

  it('knows while a clear holds its run lock, and shows no held lock once it is done', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const heldSince: Array<number | null> = [];
    const before = Date.now();
    const stop = h.program.events.on('clear_progress', () => heldSince.push(h.program.locks.oldestHeldSince()));
    await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200);
    stop();
    expect(heldSince.length).toBeGreaterThan(0);
    for (const since of heldSince) expect(since).toBeGreaterThanOrEqual(before);
    expect(h.program.locks.oldestHeldSince()).toBeNull();
    expect(await valueOf(h.program.metrics, 'staging_cleanup_oldest_lock_held_seconds')).toBe(0);
  });

  it('shows the runs waiting for the sweep and how long the oldest has waited, and when the last sweep ran', async () => {
    const h = await createAppHarness({ env: SCHEDULED });
    makeRun(h.root, RUN);
    makeRun(h.root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
    const registry = h.program.metrics;
    expect(await valueOf(registry, 'staging_cleanup_auto_eligible_runs')).toBe(1);
    // Verified 2026-04-17T16:18:43Z and kept 24 hours: eligible since the next day.
    await expectOldestWaitSince(registry, '2026-04-18T16:18:43Z');
    expect(await valueOf(registry, 'staging_cleanup_last_sweep_timestamp_seconds')).toBe(0);

    const before = Date.now() / 1000;
    await h.http().post('/api/v1/staging/sweep').expect(200);
    const after = Date.now() / 1000;
    expect(await valueOf(registry, 'staging_cleanup_auto_eligible_runs')).toBe(0);
    expect(await valueOf(registry, 'staging_cleanup_oldest_auto_eligible_age_seconds')).toBe(0);
    const lastSweep = (await valueOf(registry, 'staging_cleanup_last_sweep_timestamp_seconds')) ?? 0;
    expect(lastSweep).toBeGreaterThanOrEqual(Math.floor(before));
    expect(lastSweep).toBeLessThanOrEqual(Math.ceil(after));
  });

  it('counts an interrupted clear as waiting for the sweep since the clear began', async () => {
    const h = await createAppHarness({ env: SCHEDULED });
    // Its ingest.json says cleared on 2026-04-18T16:18:43Z, and its files are still there.
    makeRun(h.root, RUN, { state: 'cleared' });
    const registry = h.program.metrics;
    expect(await valueOf(registry, 'staging_cleanup_auto_eligible_runs')).toBe(1);
    await expectOldestWaitSince(registry, '2026-04-18T16:18:43Z');
  });

  it('counts asynchronous clears that are queued, then none once they are done', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const registry = h.program.metrics;
    const job = h.program.jobs.clearRun(RUN, { actor: 'test' });
    // A job starts on the next turn of the event loop: until then it is queued.
    const queued = await valueOf(registry, 'staging_cleanup_jobs', { state: 'queued' });
    expect(queued).toBe(1);
    await expect.poll(() => h.program.jobs.get(job.id, { offset: 0, limit: 1 })?.state).toBe('succeeded');
    expect(await samples(registry, 'staging_cleanup_jobs')).toEqual([
      { labels: { state: 'queued' }, value: 0 },
      { labels: { state: 'running' }, value: 0 },
    ]);
  });

  it('times requests by route as registered, never by the run path, and unknown paths as unmatched', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    await h.http().get(`/api/v1/staging/${RUN}`).expect(200);
    await h.http().get('/api/v1/nothing-here').expect(404);
    const counts = (await samples(h.program.metrics, 'staging_cleanup_http_request_duration_seconds'))
      .filter((sample) => sample.labels.le === '+Inf')
      .map((sample) => sample.labels);
    expect(counts).toContainEqual({ le: '+Inf', method: 'GET', route: '/api/v1/staging/:run_path', code: '200' });
    expect(counts).toContainEqual({ le: '+Inf', method: 'GET', route: 'unmatched', code: '404' });
    expect(JSON.stringify(counts)).not.toContain('Run_1');
  });
});
