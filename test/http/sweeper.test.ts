import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppHarness } from '../helpers/appHarness.ts';
import { itAsRoot } from '../helpers/root.ts';
import { waitFor } from '../helpers/waitFor.ts';
import { makeRun } from '../helpers/stagingTree.ts';
import { withTmpfsVolume } from '../helpers/tmpfs.ts';

// Clock: 2026-04-20T12:00Z, retain 24 h.
function seed(root: string): void {
  makeRun(root, 'EQ/P/Runs/Run_due', { verifiedAt: '2026-04-18T00:00:00Z' });
  makeRun(root, 'EQ/P/Runs/Run_recent', { verifiedAt: '2026-04-20T06:00:00Z' });
  makeRun(root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
}


describe('the scheduled sweeper', () => {
  it('clears only the auto-eligible runs on its own, every sweep_interval_seconds, as actor sweeper', async () => {
    const h = await createAppHarness({
      env: { STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '1' },
    });
    seed(h.root);
    const due = path.join(h.root, 'EQ/P/Runs/Run_due');
    await waitFor(() => !fs.existsSync(due), 10_000);
    // The run's lock folder may linger a moment after its folder is gone.
    const runs = fs.readdirSync(path.join(h.root, 'EQ/P/Runs')).filter((name) => !name.startsWith('.'));
    expect(runs.sort()).toEqual(['Run_queued', 'Run_recent']);
    await waitFor(() => h.logs.some((line) => line.msg === 'run cleared'), 5000);
    const clears = await h.http().get('/api/v1/staging/clears').expect(200);
    expect(clears.body.clears).toMatchObject([{ run_path: 'EQ/P/Runs/Run_due', actor: 'sweeper' }]);
    await waitFor(() => h.logs.some((line) => line.msg === 'sweep finished' && line.cleared === 0), 5000);
  });

  it('never sweeps in manual mode', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '1' } });
    seed(h.root);
    // Nothing happening has no event of its own: a scheduled service beside
    // it, on the same interval, sweeps twice meanwhile.
    const clock = await createAppHarness({ env: { STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '1' } });
    await waitFor(() => clock.logs.filter((line) => line.msg === 'sweep finished').length >= 2, 20_000);
    expect(fs.readdirSync(path.join(h.root, 'EQ/P/Runs')).sort()).toEqual(['Run_due', 'Run_queued', 'Run_recent']);
    expect(h.logs.some((line) => line.msg === 'sweep finished')).toBe(false);
  });

  itAsRoot('in manual mode with a pressure policy, runs only the pressure sweep, clearing the oldest verified run as actor pressure', async () => {
    await withTmpfsVolume('4m', async (volume) => {
      const h = await createAppHarness({
        env: {
          STAGING_CLEANUP_STAGING_ROOT: volume,
          STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '1',
          STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '10',
          STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '8',
          STAGING_CLEANUP_PRESSURE_MIN_RETAIN_HOURS: '12',
        },
      });
      // 1 MiB of 4 in the oldest verified run that may go: past the 10 % mark.
      makeRun(volume, 'EQ/P/Runs/Run_due', { verifiedAt: '2026-04-18T00:00:00Z', files: { 'big.bin': 'x'.repeat(1024 * 1024) } });
      makeRun(volume, 'EQ/P/Runs/Run_older_late_file', { verifiedAt: '2026-04-17T20:00:00Z', files: { 'a.bin': 'x'.repeat(200_000) } });
      fs.writeFileSync(path.join(volume, 'EQ/P/Runs/Run_older_late_file/late.bin'), 'written after verification');
      makeRun(volume, 'EQ/P/Runs/Run_recent', { verifiedAt: '2026-04-20T06:00:00Z' });
      makeRun(volume, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
      const due = path.join(volume, 'EQ/P/Runs/Run_due');
      await waitFor(() => !fs.existsSync(due), 10_000);
      await waitFor(() => h.logs.some((line) => line.msg === 'pressure sweep finished'), 5000);
      const clears = await h.http().get('/api/v1/staging/clears').expect(200);
      expect(clears.body.clears).toMatchObject([{ run_path: 'EQ/P/Runs/Run_due', actor: 'pressure' }]);
      const runs = fs.readdirSync(path.join(volume, 'EQ/P/Runs')).filter((name) => !name.startsWith('.'));
      expect(runs.sort()).toEqual(['Run_older_late_file', 'Run_queued', 'Run_recent']);
      expect(h.logs.some((line) => line.msg === 'sweep finished')).toBe(false);
    });
  });
});
