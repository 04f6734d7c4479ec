// The staging root is pinned at start (device and inode): swapped for a link
// to a copy of itself, or for another real folder, it refuses every clear,
// the listing and health say why, and nothing is deleted in either tree;
// the original put back, clears work again. A racer swapping it back and
// forth during clears never moves a deletion into the copy.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppHarness, FRESH_HEALTH, type AppHarness } from '../helpers/appHarness.ts';
import { snapshotBytes } from '../helpers/byteTree.ts';
import { createHarness } from '../helpers/serviceHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

// A process of its own that swaps the root for a link to its copy (swapRacer.mjs).
const RACER = path.join(import.meta.dirname, '..', 'helpers', 'swapRacer.mjs');

const RUN = 'EQ/P/Runs/Run_1';

// Scheduled, with a pressure policy (any usage is past its mark): every way
// a run can be cleared is open.
const EVERY_CLEAR = {
  STAGING_CLEANUP_MODE: 'scheduled',
  STAGING_CLEANUP_RETAIN_HOURS: '24',
  STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600',
  STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '2',
  STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '1',
};

// Every route that clears, and the listing, answer 503 staging_root_unavailable saying `why`.
async function expectEveryClearRefused(h: AppHarness, why: string): Promise<void> {
  const asks = [
    h.http().post(`/api/v1/staging/${RUN}/clear`),
    h.http().post(`/api/v1/staging/${RUN}/clear`).send({ dry_run: true }),
    h.http().post('/api/v1/staging/clear').send({ run_paths: [RUN] }),
    h.http().post('/api/v1/staging/clear').send({ all_verified: true }),
    h.http().post('/api/v1/staging/sweep'),
    h.http().post('/api/v1/staging/capacity/sweep'),
    h.http().get('/api/v1/staging'),
    h.http().get(`/api/v1/staging/${RUN}`),
  ];
  for (const ask of asks) {
    const answer = await ask.expect(503);
    expect(answer.body.error).toMatchObject({ code: 'staging_root_unavailable', message: expect.stringContaining(why) });
  }
  const health = await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503);
  expect(health.body.checks.staging_root).toEqual({ ok: false, message: expect.stringContaining(why) });
}

describe('the staging root swapped while the service runs', () => {
  it('refuses every clear, for a link to a copy and for another folder, deleting nothing in either tree; the original back, clears work', async () => {
    const h = await createAppHarness({ env: EVERY_CLEAR });
    makeRun(h.root, RUN);
    await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
    const original = `${h.root}.original`;
    const copy = `${h.root}.copy`;
    fs.renameSync(h.root, original);
    fs.cpSync(original, copy, { recursive: true, preserveTimestamps: true });
    const snapshots = { original: snapshotBytes(original), copy: snapshotBytes(copy) };

    fs.symlinkSync(copy, h.root);
    await expectEveryClearRefused(h, `${h.root} is now a symbolic link (to ${copy})`);

    fs.unlinkSync(h.root);
    fs.renameSync(copy, h.root);
    await expectEveryClearRefused(h, `${h.root} is another folder than the one the service started on`);
    expect(snapshotBytes(h.root)).toEqual(snapshots.copy);
    expect(snapshotBytes(original)).toEqual(snapshots.original);

    fs.rmSync(h.root, { recursive: true });
    fs.renameSync(original, h.root);
    await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
    expect((await h.http().get('/api/v1/staging').expect(200)).body.runs).toHaveLength(1);
    expect((await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200)).body.outcome).toBe('cleared');
  });
});

describe('the staging root swapped back and forth during clears', () => {
  it('never deletes in the copy a link points to: each clear clears the original or is refused, and every run is cleared after', async () => {
    const h = createHarness();
    const base = path.dirname(h.root);
    const runPaths = Array.from({ length: 20 }, (_, index) => `EQ/P/Runs/Run_${index}`);
    for (const runPath of runPaths) makeRun(h.root, runPath);
    const canary = path.join(base, 'canary');
    fs.cpSync(h.root, canary, { recursive: true, preserveTimestamps: true });
    const before = snapshotBytes(canary);
    const go = path.join(base, 'go');
    fs.writeFileSync(go, '');
    const stopFile = path.join(base, 'stop');
    const racer = spawn(
      process.execPath,
      [RACER, JSON.stringify({ targets: [{ path: h.root, canary }], sentinels: [go], stopFile, restMs: 1 })],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let swaps = '';
    racer.stdout.on('data', (chunk: Buffer) => (swaps += chunk.toString()));
    const exited = new Promise<void>((resolve) => racer.on('exit', () => resolve()));
    fs.rmSync(go);

    const refusals: string[] = [];
    let remaining = runPaths;
    for (let round = 0; round < 50 && remaining.length > 0; round += 1) {
      const left: string[] = [];
      for (const runPath of remaining) {
        await h.service.clearer.clear(runPath, { actor: 'race-test' }).then(
          (answer) => expect(answer.outcome).toBe('cleared'),
          (error: { code: string }) => {
            refusals.push(error.code);
            left.push(runPath);
          },
        );
      }
      remaining = left;
    }
    fs.writeFileSync(stopFile, '');
    await exited;
    expect(Number(swaps)).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['staging_root_unavailable']));
    for (const runPath of remaining) await h.service.clearer.clear(runPath, { actor: 'race-test' });
    expect(fs.readdirSync(path.join(h.root, 'EQ/P/Runs')).filter((name) => !name.startsWith('.'))).toEqual([]);
    expect(snapshotBytes(canary)).toEqual(before);
  });
});
