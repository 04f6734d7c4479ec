// Every folder from the staging root down to a run is on the root's own
// filesystem: another one mounted above the runs (the NAS share, another
// disk, a bind mount of another folder, even of the same disk) is a listed
// problem, its runs are neither listed nor cleared by any route, and nothing
// on it changes.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { createAppHarness, FRESH_HEALTH, type AppHarness } from '../helpers/appHarness.ts';
import { snapshotBytes } from '../helpers/byteTree.ts';
import { describeAsRoot, itAsRoot } from '../helpers/root.ts';
import { makeRun } from '../helpers/stagingTree.ts';
import { bindMount, isMounted, unmount, withTmpfs, withTmpfsVolume } from '../helpers/tmpfs.ts';

// Scheduled, with every run below due (verified 2026-04-17, clock 04-20),
// and a pressure policy: each way a run can be cleared is open.
const EVERY_CLEAR = {
  STAGING_CLEANUP_MODE: 'scheduled',
  STAGING_CLEANUP_RETAIN_HOURS: '24',
  // No sweep of its own during the test: the test asks for each.
  STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600',
  STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '10',
  STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '8',
  STAGING_CLEANUP_PRESSURE_MIN_RETAIN_HOURS: '12',
};

const runPathsOf = (results: Array<{ run_path: string }>): string[] => results.map((result) => result.run_path);

// Every route that clears, asked for `foreign` (a run below the mount) and
// answered without deleting it; `home` runs on the root's filesystem are
// cleared meanwhile, to show each route did its work.
async function clearEveryWay(h: AppHarness, foreign: string, mounted: string): Promise<void> {
  const one = await h.http().post(`/api/v1/staging/${foreign}/clear`).expect(409);
  expect(one.body.error).toMatchObject({ code: 'run_on_other_filesystem', details: { path: `${h.config.staging_root}/${mounted}` } });
  expect(one.body.error.message).toContain(`${mounted} is another filesystem mounted there`);
  expect((await h.http().post(`/api/v1/staging/${foreign}/clear`).send({ dry_run: true }).expect(409)).body.error.code).toBe(
    'run_on_other_filesystem',
  );
  expect((await h.http().get(`/api/v1/staging/${foreign}`).expect(409)).body.error.code).toBe('run_on_other_filesystem');

  const named = await h.http().post('/api/v1/staging/clear').send({ run_paths: [foreign] }).expect(200);
  expect(named.body.results).toEqual([{ run_path: foreign, error: expect.objectContaining({ code: 'run_on_other_filesystem' }) }]);

  const pressure = await h.http().post('/api/v1/staging/capacity/sweep').expect(200);
  expect(runPathsOf(pressure.body.results)).toEqual(['EQ/HOME/Runs/Run_pressure']);
  expect(runPathsOf(pressure.body.skipped)).not.toContain(foreign);

  const sweep = await h.http().post('/api/v1/staging/sweep').expect(200);
  expect(runPathsOf(sweep.body.results)).toEqual(['EQ/HOME/Runs/Run_sweep']);

  makeRun(h.config.staging_root, 'EQ/HOME/Runs/Run_set');
  const verified = await h.http().post('/api/v1/staging/clear').send({ all_verified: true }).expect(200);
  expect(verified.body.results).toEqual([expect.objectContaining({ run_path: 'EQ/HOME/Runs/Run_set', outcome: 'cleared' })]);
}

function makeHomeRuns(root: string): void {
  // 1 MiB of the 8 MiB volume: past the 10 % mark, and the oldest verified,
  // for the pressure sweep, which clearing it brings under the target.
  makeRun(root, 'EQ/HOME/Runs/Run_pressure', { files: { 'big.bin': 'x'.repeat(1024 * 1024) } });
  makeRun(root, 'EQ/HOME/Runs/Run_sweep', { verifiedAt: '2026-04-17T17:00:00Z' });
}

// `inHealth`: health counts the folders above the runs; a run folder that is
// a mount point is the listing's to show, as other problems of a run are.
async function expectListedAsProblem(h: AppHarness, mounted: string, foreign: string, inHealth = 1): Promise<void> {
  const listing = (await h.http().get('/api/v1/staging').expect(200)).body;
  expect(runPathsOf(listing.runs)).not.toContain(foreign);
  expect(listing.problems).toEqual([
    expect.objectContaining({
      run_path: mounted,
      path: `${h.config.staging_root}/${mounted}`,
      code: 'folder_other_filesystem',
      message: expect.stringContaining('another filesystem mounted there'),
    }),
  ]);
  expect((await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200)).body.folder_problems).toBe(inHealth);
}

describeAsRoot('another filesystem mounted above the runs', () => {
  itAsRoot('a tmpfs at a project folder is a folder_other_filesystem problem, and its run is never cleared, byte for byte', async () => {
    await withTmpfsVolume('8m', async (volume) => {
      const h = await createAppHarness({ env: { STAGING_CLEANUP_STAGING_ROOT: volume, ...EVERY_CLEAR } });
      makeHomeRuns(volume);
      const project = path.join(volume, 'EQ/PROJ');
      await withTmpfs(project, '1m', async () => {
        makeRun(volume, 'EQ/PROJ/Runs/Run_on_tmpfs');
        const before = snapshotBytes(project);
        await expectListedAsProblem(h, 'EQ/PROJ', 'EQ/PROJ/Runs/Run_on_tmpfs');
        await clearEveryWay(h, 'EQ/PROJ/Runs/Run_on_tmpfs', 'EQ/PROJ');
        expect(snapshotBytes(project)).toEqual(before);
      });
    });
  });

  itAsRoot('a bind mount of another folder of the same disk at Runs/ is one too (st_dev alike, another mount)', async () => {
    await withTmpfsVolume('8m', async (volume) => {
      const h = await createAppHarness({ env: { STAGING_CLEANUP_STAGING_ROOT: volume, ...EVERY_CLEAR } });
      makeHomeRuns(volume);
      // A hidden folder of the staging volume itself, never listed.
      const elsewhere = path.join(volume, '.elsewhere');
      const runs = path.join(volume, 'EQ/PROJ/Runs');
      makeRun(elsewhere, 'EQ/PROJ/Runs/Run_bound');
      fs.mkdirSync(runs, { recursive: true });
      bindMount(path.join(elsewhere, 'EQ/PROJ/Runs'), runs);
      try {
        expect(fs.statSync(runs).dev).toBe(fs.statSync(volume).dev);
        const before = snapshotBytes(elsewhere);
        await expectListedAsProblem(h, 'EQ/PROJ/Runs', 'EQ/PROJ/Runs/Run_bound');
        await clearEveryWay(h, 'EQ/PROJ/Runs/Run_bound', 'EQ/PROJ/Runs');
        expect(snapshotBytes(elsewhere)).toEqual(before);
      } finally {
        if (isMounted(runs)) unmount(runs);
      }
    });
  });

  itAsRoot('a tmpfs at the run folder itself is a problem named by the run, and a clear of it is refused', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'EQ/HOME/Runs/Run_home');
    const run = path.join(h.root, 'EQ/PROJ/Runs/Run_mounted');
    fs.mkdirSync(run, { recursive: true });
    await withTmpfs(run, '1m', async () => {
      makeRun(h.root, 'EQ/PROJ/Runs/Run_mounted');
      const before = snapshotBytes(run);
      await expectListedAsProblem(h, 'EQ/PROJ/Runs/Run_mounted', 'EQ/PROJ/Runs/Run_mounted', 0);
      const refused = await h.http().post('/api/v1/staging/EQ/PROJ/Runs/Run_mounted/clear').expect(409);
      expect(refused.body.error).toMatchObject({ code: 'run_on_other_filesystem', details: { path: run } });
      expect(snapshotBytes(run)).toEqual(before);
    });
    expect((await h.http().post('/api/v1/staging/EQ/HOME/Runs/Run_home/clear').expect(200)).body.outcome).toBe('cleared');
  });
});
