import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockPathOf, MAX_RUN_NAME_BYTES } from '../../src/storage/runLock.ts';
import { createAppHarness } from '../helpers/appHarness.ts';
import { makeRun, snapshotTree } from '../helpers/stagingTree.ts';

const RUN = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32';

// What an admin or another program may leave at a run's lock name.
const INVALID_LOCKS: Array<{ kind: string; problem: RegExp; plant(lockDir: string, outside: string): void }> = [
  { kind: 'a regular file', problem: /^is a regular file$/, plant: (lockDir) => fs.writeFileSync(lockDir, 'not a lock\n') },
  { kind: 'a link to a folder', problem: /^is a symbolic link$/, plant: (lockDir, outside) => fs.symlinkSync(outside, lockDir) },
  { kind: 'a FIFO', problem: /^is a FIFO$/, plant: (lockDir) => execFileSync('mkfifo', [lockDir]) },
  {
    kind: 'a folder holding a subfolder',
    problem: /^holds kept, which a lock of this service never holds$/,
    plant: (lockDir) => fs.mkdirSync(path.join(lockDir, 'kept'), { recursive: true }),
  },
];

describe('a run lock that is not a lock folder of this service', () => {
  it.each(INVALID_LOCKS)(
    'answers 409 lock_invalid naming the lock when it is $kind, deletes nothing, and clears once the admin removes it',
    async ({ problem, plant }) => {
      const h = await createAppHarness({ env: { STAGING_CLEANUP_LOCK_STALE_SECONDS: '2' } });
      const run = makeRun(h.root, RUN);
      const outside = path.join(path.dirname(h.root), 'outside');
      fs.mkdirSync(outside);
      fs.writeFileSync(path.join(outside, 'holder.json'), 'the canary\n');
      const lockDir = lockPathOf(run);
      plant(lockDir, outside);
      const before = snapshotTree(run);
      const outsideBefore = snapshotTree(outside);
      // Stale or not, it is never taken for a lock: asked again once it is an hour old.
      for (const attempt of [0, 1]) {
        if (attempt === 1) fs.lutimesSync(lockDir, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
        const response = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(409);
        expect(response.body.error).toMatchObject({ code: 'lock_invalid', details: { lock_path: lockDir, problem: expect.stringMatching(problem) } });
        expect(response.body.error.message).toContain(lockDir);
        expect(response.body.error.message).toContain('remove it');
      }
      expect(snapshotTree(run)).toEqual(before);
      expect(snapshotTree(outside)).toEqual(outsideBefore);
      fs.rmSync(lockDir, { recursive: true });
      const cleared = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200);
      expect(cleared.body.outcome).toBe('cleared');
      expect(fs.existsSync(run)).toBe(false);
      expect(fs.existsSync(lockDir)).toBe(false);
      expect(snapshotTree(outside)).toEqual(outsideBefore);
    },
  );

  it('takes over, once stale, a lock folder holding only a holder.json.tmp a writer left, and removes it with the clear', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_LOCK_STALE_SECONDS: '600' } });
    const run = makeRun(h.root, RUN);
    const lockDir = lockPathOf(run);
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, 'holder.json.tmp'), '{"host":');
    const busy = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(409);
    expect(busy.body.error).toMatchObject({ code: 'clear_in_progress', details: { holder: null, takeover_at: expect.any(String) } });
    const old = new Date(Date.now() - 3_600_000);
    fs.utimesSync(lockDir, old, old);
    expect((await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200)).body.outcome).toBe('cleared');
    expect(fs.existsSync(lockDir)).toBe(false);
    expect(fs.existsSync(run)).toBe(false);
  });
});

describe('a run whose name leaves no room for its lock name', () => {
  it(`answers 409 run_name_too_long for a 240-byte name (at most ${MAX_RUN_NAME_BYTES}), deletes nothing, and is listed as not clearable`, async () => {
    const h = await createAppHarness();
    const name = `Run_${'x'.repeat(236)}`;
    expect(name).toHaveLength(240);
    const runPath = `CONFOCAL_01/PROJ-0042/Runs/${name}`;
    const run = makeRun(h.root, runPath);
    const before = snapshotTree(run);
    for (const query of ['', '?dry_run=true']) {
      const response = await h.http().post(`/api/v1/staging/${runPath}/clear${query}`).expect(409);
      expect(response.body.error).toMatchObject({
        code: 'run_name_too_long',
        details: { name_bytes: 240, max_name_bytes: MAX_RUN_NAME_BYTES },
      });
    }
    expect(snapshotTree(run)).toEqual(before);
    expect(fs.readdirSync(path.dirname(run))).toEqual([name]);
    const listing = await h.http().get('/api/v1/staging').expect(200);
    expect(listing.body.runs).toMatchObject([{ run_path: runPath, reason: 'run_name_too_long', clearable: false }]);
    const eligibility = await h.http().get(`/api/v1/staging/${runPath}/eligibility`).expect(200);
    expect(eligibility.body).toMatchObject({ reason: 'run_name_too_long', clearable: false });
  });

  it(`clears a run whose name is exactly ${MAX_RUN_NAME_BYTES} bytes: its lock name is 255`, async () => {
    const h = await createAppHarness();
    const name = `Run_${'x'.repeat(MAX_RUN_NAME_BYTES - 4)}`;
    const run = makeRun(h.root, `CONFOCAL_01/PROJ-0042/Runs/${name}`);
    expect(path.basename(lockPathOf(run))).toHaveLength(255);
    expect((await h.http().post(`/api/v1/staging/CONFOCAL_01/PROJ-0042/Runs/${name}/clear`).expect(200)).body.outcome).toBe('cleared');
    expect(fs.existsSync(run)).toBe(false);
  });
});
