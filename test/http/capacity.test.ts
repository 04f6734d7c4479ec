import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAppHarness, READ_TOKEN } from '../helpers/appHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

// 2026-04-20T12:00:00Z is the harness's clock; retain_hours 24.
const scheduled = { STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_RETAIN_HOURS: '24' };

describe('GET /api/v1/staging/capacity', () => {
  it('sums the listing by class: clearable now, retained, unverified, interrupted, counted as a clear frees them', async () => {
    const harness = await createAppHarness({ env: scheduled });
    const files = { 'a.bin': 'x'.repeat(1000) };
    makeRun(harness.root, 'EQ/P/Runs/Run_old', { verifiedAt: '2026-04-18T10:00:00Z', files });
    makeRun(harness.root, 'EQ/P/Runs/Run_new', { verifiedAt: '2026-04-20T10:30:00Z', files });
    makeRun(harness.root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued', files: { 'b.bin': 'y'.repeat(5000) } });
    makeRun(harness.root, 'EQ/P/Runs/Run_cut', { state: 'cleared', files });

    const capacity = (await harness.http().get('/api/v1/staging/capacity').expect(200)).body;
    const rows = (await harness.http().get('/api/v1/staging').expect(200)).body.runs as Array<Record<string, number | string>>;
    const row = (name: string) => rows.find((candidate) => String(candidate.run_path).endsWith(name)) as Record<string, number>;
    expect(capacity.staged).toEqual({
      clearable: { bytes: row('Run_old').bytes_to_free, files: row('Run_old').files_to_free, runs: 1 },
      retained: { bytes: row('Run_new').bytes_to_free, files: row('Run_new').files_to_free, runs: 1 },
      unverified: { bytes: row('Run_queued').bytes_to_free, files: row('Run_queued').files_to_free, runs: 1 },
      interrupted: { bytes: row('Run_cut').bytes_to_free, files: row('Run_cut').files_to_free, runs: 1 },
    });
    // Run_new comes due at 10:30 tomorrow: hour 22 from the 12:00 hour.
    expect(capacity.forecast.hours).toHaveLength(168);
    expect(capacity.forecast.hours[22]).toEqual({ starts_at: '2026-04-21T10:00:00Z', bytes: row('Run_new').bytes_to_free, runs: 1 });
    expect(capacity.forecast.hours.filter((hour: { runs: number }) => hour.runs > 0)).toHaveLength(1);
    expect(capacity.largest_unverified.map((run: { run_path: string }) => run.run_path)).toEqual(['EQ/P/Runs/Run_queued']);
    expect(capacity.pressure).toBeNull();
    expect(capacity.volume_full).toBe(false);
  });

  it('measures the volume as df does, by the root folder, and gives its use as 1 - avail / size (what the dashboard shows)', async () => {
    const harness = await createAppHarness();
    const { volume } = (await harness.http().get('/api/v1/staging/capacity').expect(200)).body;
    const [size, used, avail] = execFileSync('df', ['-B1', '--output=size,used,avail', harness.root], { encoding: 'utf8' })
      .trim()
      .split('\n')[1]!
      .trim()
      .split(/\s+/)
      .map(Number) as [number, number, number];
    expect(volume.size_bytes).toBe(size);
    // The shared disk moves between the two readings; a few MiB at most.
    expect(Math.abs(volume.used_bytes - used)).toBeLessThan(64 * 1024 * 1024);
    expect(Math.abs(volume.avail_bytes - avail)).toBeLessThan(64 * 1024 * 1024);
    expect(volume.free_inodes).toBeGreaterThan(0);
    // Not used / (used + avail): space kept from users (reserved blocks) is used to them.
    expect(Math.abs(volume.used_percent - (1 - avail / size) * 100)).toBeLessThan(0.1);
    expect(volume.used_percent).toBe(Math.round((1 - volume.avail_bytes / volume.size_bytes) * 10_000) / 100);
  });
});

describe('GET /api/v1/staging/capacity without its volume', () => {
  it('answers 503 staging_root_unavailable when the staging root is gone', async () => {
    const harness = await createAppHarness();
    fs.rmSync(harness.root, { recursive: true });
    const answer = await harness.http().get('/api/v1/staging/capacity').expect(503);
    expect(answer.body.error.code).toBe('staging_root_unavailable');
    const health = await harness.http().get('/api/v1/health').set('cache-control', 'no-cache').expect(503);
    expect(health.body.checks.staging_volume).toMatchObject({ ok: false, message: expect.stringContaining('cannot be opened (ENOENT)') });
  });
});

describe('capacity metrics', () => {
  it('exports the volume and the staged classes under the agreed names, and no pressure ratios when none is configured', async () => {
    const harness = await createAppHarness({ env: { STAGING_CLEANUP_TOKENS: JSON.stringify([{ token: READ_TOKEN, scope: 'read' }]) } });
    makeRun(harness.root, 'EQ/P/Runs/Run_1', { state: 'sync_queued' });
    const text = (await harness.http().get('/metrics').set('authorization', `Bearer ${READ_TOKEN}`).expect(200)).text;
    for (const name of [
      'staging_cleanup_volume_size_bytes',
      'staging_cleanup_volume_free_bytes',
      'staging_cleanup_volume_avail_bytes',
      'staging_cleanup_volume_free_inodes',
      'staging_cleanup_volume_full',
    ]) {
      expect(text).toMatch(new RegExp(`^${name} \\d+`, 'm'));
    }
    for (const name of ['clearable', 'retained', 'unverified', 'interrupted']) {
      expect(text).toContain(`staging_cleanup_staged_bytes{class="${name}"}`);
      expect(text).toContain(`staging_cleanup_staged_files{class="${name}"}`);
    }
    expect(text).toMatch(/^staging_cleanup_staged_files\{class="unverified"\} 5$/m);
    expect(text).not.toContain('staging_cleanup_pressure_high_water_ratio');
    expect(text).toMatch(/^staging_cleanup_volume_full 0$/m);
  });

  it('exports the pressure marks as ratios when a pressure policy is configured', async () => {
    const harness = await createAppHarness({
      env: { STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '97', STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '90' },
    });
    const text = (await harness.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(/^staging_cleanup_pressure_high_water_ratio 0\.97$/m);
    expect(text).toMatch(/^staging_cleanup_pressure_target_ratio 0\.9$/m);
  });
});

describe('POST /api/v1/staging/capacity/sweep', () => {
  it('answers 409 pressure_not_configured, naming the keys, when no pressure policy is configured', async () => {
    const harness = await createAppHarness();
    const answer = await harness.http().post('/api/v1/staging/capacity/sweep').expect(409);
    expect(answer.body.error.code).toBe('pressure_not_configured');
    expect(answer.body.error.message).toContain('pressure.high_water_percent');
  });

  it('clears nothing under the high-water mark, and says where the volume stands', async () => {
    const harness = await createAppHarness({
      env: { STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '99', STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '98' },
    });
    makeRun(harness.root, 'EQ/P/Runs/Run_old', { verifiedAt: '2026-04-18T10:00:00Z' });
    const report = (await harness.http().post('/api/v1/staging/capacity/sweep?dry_run=true').expect(200)).body;
    expect(report).toMatchObject({ dry_run: true, high_water_percent: 99, target_percent: 98, results: [], skipped: [] });
    expect(report.usage_after_percent).toBe(report.usage_before_percent);
    const capacity = (await harness.http().get('/api/v1/staging/capacity').expect(200)).body;
    expect(capacity.pressure).toMatchObject({ high_water_percent: 99, target_percent: 98, min_retain_hours: 1, past_high_water: false });
  });

  it('needs a clear token', async () => {
    const harness = await createAppHarness({ env: { STAGING_CLEANUP_TOKENS: JSON.stringify([{ token: READ_TOKEN, scope: 'read' }]) } });
    await harness.http().get('/api/v1/staging/capacity').set('authorization', `Bearer ${READ_TOKEN}`).expect(200);
    const answer = await harness.http().post('/api/v1/staging/capacity/sweep').set('authorization', `Bearer ${READ_TOKEN}`).expect(403);
    expect(answer.body.error.code).toBe('forbidden');
  });
});
