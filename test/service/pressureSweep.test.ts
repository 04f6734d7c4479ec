// The disk-pressure sweep on a real small volume: a tmpfs as the staging
// root, filled past the high-water mark with a mix of runs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { compose, type Program } from '../../src/compose.ts';
import type { PressureSettings } from '../../src/domain/pressurePlan.ts';
import { createTreeWorkerPool } from '../../src/storage/engine/treeWorkerPool.ts';
import { readJournal } from '../helpers/journal.ts';
import { harnessConfig } from '../helpers/harnessConfig.ts';
import { describeAsRoot, itAsRoot } from '../helpers/root.ts';
import { makeRun, makeTempDir, writeFiles } from '../helpers/stagingTree.ts';
import { isMounted, mountTmpfs, unmount } from '../helpers/tmpfs.ts';

const MiB = 1024 * 1024;
const NOW = new Date('2026-04-20T12:00:00Z');
const pool = createTreeWorkerPool();
afterAll(() => pool.close());

let base: string;
let root: string;
const services: Program[] = [];
beforeEach(() => {
  base = makeTempDir();
  root = path.join(base, 'staging');
  mountTmpfs(root, '8m');
});
afterEach(async () => {
  for (const service of services.splice(0)) await service.close(1000);
  if (isMounted(root)) unmount(root);
  fs.rmSync(base, { recursive: true, force: true });
});

function start(pressure: PressureSettings) {
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', 'test-host', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const journalDir = path.join(base, 'journal');
  const service = compose(harnessConfig({ pressure }, root, journalDir), { clock: () => NOW, pool, logger });
  services.push(service);
  return { service, logs, journalDir };
}

// df's figures for the volume: [size, used, avail] in bytes, and how full
// it is as the service and the dashboard say (1 - avail / size, two decimals).
function df(): { used: number; avail: number; percent: number } {
  const [size, used, avail] = execFileSync('df', ['-B1', '--output=size,used,avail', root], { encoding: 'utf8' })
    .trim()
    .split('\n')[1]!
    .trim()
    .split(/\s+/)
    .map(Number) as [number, number, number];
  return { used, avail, percent: Math.round((1 - avail / size) * 10_000) / 100 };
}

const data = (mib: number) => ({ 'data.bin': 'x'.repeat(mib * MiB) });
const RUNS = {
  lateFile: 'EQ/P/Runs/Run_F_late_file',
  oldA: 'EQ/P/Runs/Run_A_old',
  oldB: 'EQ/P/Runs/Run_B_old',
  oldC: 'EQ/P/Runs/Run_C_old',
  recent: 'EQ/P/Runs/Run_D_recent',
  unverified: 'EQ/P/Runs/Run_E_unverified',
};

// About 6 MiB of 8: verified long ago (F, the oldest, holds a file written after
// verification; then A, B, C), verified 30 min ago (D), not verified (E).
function fillVolume(): void {
  const late = makeRun(root, RUNS.lateFile, { verifiedAt: '2026-04-17T20:00:00Z', files: { 'data.bin': 'x'.repeat(MiB / 2) } });
  writeFiles(late, { 'written_later.bin': 'late' });
  makeRun(root, RUNS.oldA, { verifiedAt: '2026-04-18T00:00:00Z', files: data(1) });
  makeRun(root, RUNS.oldB, { verifiedAt: '2026-04-18T06:00:00Z', files: data(1) });
  makeRun(root, RUNS.oldC, { verifiedAt: '2026-04-18T12:00:00Z', files: data(1) });
  makeRun(root, RUNS.recent, { verifiedAt: '2026-04-20T11:30:00Z', files: data(1) });
  makeRun(root, RUNS.unverified, { state: 'sync_queued', files: { 'data.bin': 'x'.repeat(1.5 * MiB) } });
}

const exists = (runPath: string) => fs.existsSync(path.join(root, runPath));

describeAsRoot('the pressure sweep on a real volume past its high-water mark', () => {
  itAsRoot('clears only the oldest verified runs, stops at the target, skips unsafe ones with their reasons', async () => {
    fillVolume();
    const { service, journalDir } = start({ highWaterPercent: 70, targetPercent: 55, minRetainHours: 2 });
    const before = df();
    expect(before.percent).toBeGreaterThan(70);

    const dry = await service.relievePressure({ actor: 'admin', dryRun: true });
    expect(dry.results.map((result) => result.run_path)).toEqual([RUNS.oldA, RUNS.oldB]);
    expect(dry.results.every((result) => 'outcome' in result && result.outcome === 'would_clear')).toBe(true);
    expect(dry).toMatchObject({ dry_run: true, usage_before_percent: before.percent, reached_target: true });
    expect(Object.values(RUNS).every(exists)).toBe(true);

    const report = await service.relievePressure({ actor: 'admin' });
    expect(report.results.map((result) => result.run_path)).toEqual([RUNS.oldA, RUNS.oldB]);
    expect(report.bytes_freed).toBe(dry.bytes_freed);
    expect(Object.fromEntries(report.skipped.map((skip) => [skip.run_path, skip.reason]))).toEqual({
      [RUNS.lateFile]: 'unsynced_files',
      [RUNS.recent]: 'min_retain_window',
    });
    expect([RUNS.oldA, RUNS.oldB].some(exists)).toBe(false);
    expect([RUNS.lateFile, RUNS.oldC, RUNS.recent, RUNS.unverified].every(exists)).toBe(true);

    // The report, the journal, the capacity answer and the metrics agree with df.
    const after = df();
    expect(report).toMatchObject({ usage_before_percent: before.percent, usage_after_percent: after.percent, reached_target: true });
    expect(after.percent).toBeLessThanOrEqual(55);
    const records = readJournal(journalDir);
    expect(records.map((record) => [record.run_path, record.actor, record.outcome])).toEqual([
      [RUNS.oldA, 'pressure', 'cleared'],
      [RUNS.oldB, 'pressure', 'cleared'],
    ]);
    // Measured just before and after each deletion, the run's lock file (one page) present.
    const near = (value: unknown, expected: number) => expect(Math.abs(Number(value) - expected)).toBeLessThan(0.1);
    near(records[0]?.volume_usage_before_percent, before.percent);
    near(records[1]?.volume_usage_after_percent, after.percent);
    near(records[0]?.volume_usage_after_percent, Number(records[1]?.volume_usage_before_percent));
    expect(Number(records[1]?.volume_usage_before_percent)).toBeGreaterThan(Number(records[1]?.volume_usage_after_percent) + 10);
    expect(records.reduce((sum, record) => sum + Number(record.bytes_freed), 0)).toBe(report.bytes_freed);

    const capacity = await service.capacity.answer();
    expect(capacity.volume).toMatchObject({ used_bytes: after.used, avail_bytes: after.avail, used_percent: after.percent });
    expect(capacity.pressure).toMatchObject({ past_high_water: false, bytes_to_target: 0 });
    const metrics = await service.metrics.metrics();
    expect(metrics).toContain(`staging_cleanup_volume_avail_bytes ${after.avail}`);
    expect(metrics).toContain(`staging_cleanup_volume_free_bytes ${after.avail}`);
    expect(metrics).toContain('staging_cleanup_volume_full 0');
  });

  itAsRoot('never clears a run inside min_retain_hours, even when the target is out of reach, and then says the volume is full but that run can be cleared by hand, and when the pressure sweep takes it', async () => {
    fillVolume();
    const { service, logs } = start({ highWaterPercent: 20, targetPercent: 5, minRetainHours: 2 });
    const report = await service.relievePressure({ actor: 'sweeper' });
    expect(report.results.map((result) => result.run_path)).toEqual([RUNS.oldA, RUNS.oldB, RUNS.oldC]);
    expect(report.reached_target).toBe(false);
    expect([RUNS.lateFile, RUNS.recent, RUNS.unverified].every(exists)).toBe(true);
    expect(logs.filter((line) => line.msg === 'pressure sweep could not bring the staging volume down to its target')).toHaveLength(1);

    const health = await service.health({ fresh: true });
    expect(health.ready).toBe(true);
    expect(health.checks.staging_volume).toMatchObject({ ok: false, code: 'staging_volume_full' });
    expect(health.checks.staging_volume.largest_unverified?.[0]).toMatchObject({ run_path: RUNS.unverified });

    // The recent run (verified at 11:30) offers Clear: health, the answer and its forecast say so.
    const capacity = await service.capacity.answer();
    const recent = (await service.runs.listRuns()).runs.find((row) => row.run_path === RUNS.recent)!;
    expect(recent.clearable).toBe(true);
    const byHand = { runs: 1, bytes: recent.bytes_to_free, pressure_sweep_at: '2026-04-20T13:30:00Z' };
    expect(capacity.clearable_by_hand).toEqual(byHand);
    expect(health.checks.staging_volume.clearable_by_hand).toEqual(byHand);
    expect(health.checks.staging_volume.message).toMatch(
      /past the high-water mark of 20%, and the pressure sweep may clear nothing yet: full, but 1 run, 1\.0 MiB, can be cleared by hand now; the pressure sweep takes it at 2026-04-20T13:30:00Z, once verified 2 h ago$/,
    );
    expect(capacity.volume_message).toBe(health.checks.staging_volume.message);
    expect(capacity.forecast.pressure?.hours[1]).toEqual({ starts_at: '2026-04-20T13:00:00Z', bytes: recent.bytes_to_free, runs: 1 });
    expect(capacity.forecast.pressure?.hours.filter((hour) => hour.runs > 0)).toHaveLength(1);
  });

  itAsRoot('a full volume with nothing verified to clear: staging_volume_full in health; one warning per crossing, from the sampler, none from answers', async () => {
    makeRun(root, RUNS.unverified, { state: 'sync_queued', files: data(3) });
    makeRun(root, 'EQ/P/Runs/Run_G_staging', { state: 'staging', files: data(2) });
    const { service, logs } = start({ highWaterPercent: 50, targetPercent: 40, minRetainHours: 2 });
    const warnings = () => logs.filter((line) => line.code === 'staging_volume_full' && line.level === 40);

    for (let check = 0; check < 3; check += 1) {
      const health = await service.health({ fresh: true });
      expect(health.checks.staging_volume).toMatchObject({ ok: false, code: 'staging_volume_full' });
      expect(health.checks.staging_volume.message).toContain(`get the largest unverified runs onto the NAS: ${RUNS.unverified}, EQ/P/Runs/Run_G_staging`);
    }
    expect((await service.capacity.answer()).volume_full).toBe(true);
    expect(await service.metrics.metrics()).toContain('staging_cleanup_volume_full 1');
    // Health, the capacity answer and a scrape only look: a panel or Prometheus polling them logs nothing.
    expect(warnings()).toHaveLength(0);
    for (let sample = 0; sample < 3; sample += 1) await service.capacity.sample();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.msg).toMatch(/^staging volume full/);

    fs.rmSync(path.join(root, RUNS.unverified, 'data.bin'));
    expect((await service.health({ fresh: true })).checks.staging_volume.ok).toBe(true);
    await service.capacity.sample();
    writeFiles(path.join(root, RUNS.unverified), data(3));
    expect((await service.health({ fresh: true })).checks.staging_volume.ok).toBe(false);
    await service.capacity.sample();
    expect(warnings()).toHaveLength(2);
  });
});
