// Real faults under a running app: an undeletable file, a full disk, a
// journal that cannot be written, a staging volume that goes away, locks
// left by a process that died (of this host, of another), and live ones.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunLocks } from '../../src/storage/runLock.ts';
import { createAppHarness, FRESH_HEALTH } from '../helpers/appHarness.ts';
import { withImmutable } from '../helpers/faults.ts';
import { startLockHolder, type LockProcess } from '../helpers/lockProcess.ts';
import { createHarness, journalLines } from '../helpers/serviceHarness.ts';
import { makeRun, makeTempDir, snapshotTree, treeTotals } from '../helpers/stagingTree.ts';
import { bindMount, isMounted, mountTmpfs, unmount, withTmpfsVolume } from '../helpers/tmpfs.ts';
import { itAsRoot } from '../helpers/root.ts';

const RUN = 'EQ/P/Runs/Run_1';

describe('an undeletable file (chattr +i)', () => {
  itAsRoot('answers clear_incomplete naming it, removes the rest, and a retry after the fix counts each file once', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN, { files: { 'a.dat': 'a', 'raw/locked.tif': 'locked', 'raw/b.tif': 'bb' } });
    const total = treeTotals(run).files;
    const locked = path.join(run, 'raw/locked.tif');
    const first = await withImmutable([locked], () => h.http().post(`/api/v1/staging/${RUN}/clear`).expect(500));
    expect(first.body.error).toMatchObject({ code: 'clear_incomplete', details: { left: [{ path: 'raw/locked.tif', code: 'EPERM' }] } });
    expect(fs.readdirSync(path.join(run, 'raw'))).toEqual(['locked.tif']);
    await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200);
    expect(fs.existsSync(run)).toBe(false);
    const clears = (await h.http().get('/api/v1/staging/clears').expect(200)).body.clears as Array<{ files_freed: number; outcome: string }>;
    expect(clears.map((c) => c.outcome)).toEqual(['cleared', 'clear_incomplete']);
    expect(clears.reduce((sum, c) => sum + c.files_freed, 0)).toBe(total);
  });
});

describe('a full disk (a small tmpfs as the staging root)', () => {
  itAsRoot('refuses with 507 disk_full, never a 500, leaving ingest.json byte-identical; clears once there is room', async () => {
    await withTmpfsVolume('1m', async (volume) => {
      const h = await createAppHarness({ env: { STAGING_CLEANUP_STAGING_ROOT: volume } });
      const run = makeRun(volume, RUN, { files: { 'image.tif': 'x'.repeat(200_000) } });
      const ingest = path.join(run, '.exlab-wizard/ingest.json');
      const before = fs.readFileSync(ingest);
      const filler = path.join(volume, 'filler.bin');
      fillDisk(filler);
      const snapshot = snapshotTree(run);
      const refused = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(507);
      expect(refused.body.error).toMatchObject({ code: 'disk_full', details: { error_code: 'ENOSPC' } });
      expect(JSON.stringify(refused.body)).not.toMatch(/\n\s+at /);
      expect(fs.readFileSync(ingest)).toEqual(before);
      expect(snapshotTree(run)).toEqual(snapshot);
      fs.rmSync(filler);
      await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200);
      expect(fs.existsSync(run)).toBe(false);
    });
  });
});

describe('a journal that cannot be written', () => {
  itAsRoot('refuses the clear before anything is deleted, and health says not ready', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    fs.mkdirSync(h.journalDir);
    const before = snapshotTree(run);
    await withImmutable([h.journalDir], async () => {
      const refused = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(503);
      expect(refused.body.error.code).toBe('journal_unavailable');
      const health = await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503);
      expect(health.body).toMatchObject({ status: 'not_ready', checks: { journal: { ok: false } } });
    });
    expect(snapshotTree(run)).toEqual(before);
    await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
  });
});

describe('a journal folder holding something that is not a journal file', () => {
  it('answers journal_unavailable naming it (never 500) on the journal and on clearing a cleared run, and health says not ready', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200);
    fs.mkdirSync(path.join(h.journalDir, 'clears.replica2.jsonl'));
    const naming = expect.stringContaining('clears.replica2.jsonl is a directory');
    const journal = await h.http().get('/api/v1/staging/clears').expect(503);
    expect(journal.body.error).toMatchObject({ code: 'journal_unavailable', message: naming, details: { error_code: 'EISDIR' } });
    const again = await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(503);
    expect(again.body.error).toMatchObject({ code: 'journal_unavailable', message: naming });
    const health = await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503);
    expect(health.body.checks.journal).toEqual({ ok: false, message: naming });
    fs.rmdirSync(path.join(h.journalDir, 'clears.replica2.jsonl'));
    expect((await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200)).body.outcome).toBe('already_cleared');
    await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
  });
});

describe('the staging volume going away while the service runs', () => {
  itAsRoot('answers errors in the envelope, stays up, is not ready, and recovers when the same volume returns', async () => {
    const base = makeTempDir();
    // The volume is a tmpfs kept mounted at disk/ and bound at volume/, so
    // that unmounting volume/ and binding it again brings back the same
    // filesystem, as remounting a disk does.
    const disk = path.join(base, 'disk');
    const volume = path.join(base, 'volume');
    mountTmpfs(disk, '16m');
    fs.mkdirSync(volume);
    bindMount(disk, volume);
    try {
      const h = await createAppHarness({ env: { STAGING_CLEANUP_STAGING_ROOT: volume } });
      makeRun(volume, RUN);
      await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
      expect((await h.http().get('/api/v1/staging').expect(200)).body.runs).toHaveLength(1);
      unmount(volume);
      const listing = await h.http().get('/api/v1/staging').expect(503);
      expect(listing.body.error).toMatchObject({ code: 'staging_root_unavailable' });
      expect(listing.body.error.message).toContain('no longer mounted');
      expect((await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(503)).body.error.code).toBe('staging_root_unavailable');
      expect((await h.http().get(`/api/v1/staging/${RUN}`).expect(503)).body.error.code).toBe('staging_root_unavailable');
      const health = await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503);
      expect(health.body.checks.staging_root).toMatchObject({ ok: false });
      // Another, empty volume mounted there is not this one.
      mountTmpfs(volume, '16m');
      expect((await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503)).body.checks.staging_root.message).toContain(
        'another folder than the one the service started on',
      );
      unmount(volume);
      bindMount(disk, volume);
      await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
      expect((await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200)).body.outcome).toBe('cleared');
    } finally {
      while (isMounted(volume)) unmount(volume);
      if (isMounted(disk)) unmount(disk);
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('run locks across processes', () => {
  // The holder refreshes every STALE_MS / 4 and stamps whole seconds: a
  // live lock looks at most 1 s + STALE_MS / 4 old, plus however long a
  // loaded machine keeps the holder from running (2000 left it 0.5 s, and a
  // busy CI run took a live lock over).
  const STALE_MS = 6000;
  const holders: LockProcess[] = [];
  afterEach(async () => {
    for (const holder of holders.splice(0)) await holder.kill();
  });

  async function holdLock(runDir: string, hostLabel: string): Promise<LockProcess> {
    const holder = startLockHolder(runDir, STALE_MS, hostLabel);
    holders.push(holder);
    await holder.said('locked');
    return holder;
  }

  it('takes over at once the lock of a process of this host that was killed', async () => {
    const h = createHarness({ locks: createRunLocks({ staleMs: 600_000, hostLabel: 'test-host' }) });
    const run = makeRun(h.root, RUN);
    await (await holdLock(run, 'test-host')).kill();
    expect(await h.service.clearer.clear(RUN, { actor: 'a' })).toMatchObject({ outcome: 'cleared' });
    expect(fs.existsSync(run)).toBe(false);
  });

  it('respects the lock of a killed process of another host, naming it, until the lock has gone stale', async () => {
    const h = createHarness({ locks: createRunLocks({ staleMs: STALE_MS, hostLabel: 'test-host' }) });
    const run = makeRun(h.root, RUN);
    const holder = await holdLock(run, 'orch-2');
    await holder.kill();
    await expect(h.service.clearer.clear(RUN, { actor: 'a' })).rejects.toMatchObject({
      code: 'clear_in_progress',
      details: { holder: { host: 'orch-2', pid: holder.child.pid }, takeover_at: expect.any(String) },
    });
    // A lock is stamped in whole seconds (rounded down): stale within STALE_MS of its last refresh.
    const deadline = Date.now() + STALE_MS + 3000;
    let answer = await h.service.clearer.clear(RUN, { actor: 'a' }).catch((error: { code: string }) => error.code);
    while (answer === 'clear_in_progress' && Date.now() < deadline) {
      await sleep(250);
      answer = await h.service.clearer.clear(RUN, { actor: 'a' }).catch((error: { code: string }) => error.code);
    }
    expect(answer).toMatchObject({ outcome: 'cleared' });
    expect(fs.existsSync(run)).toBe(false);
  });

  it.each(['test-host', 'orch-2'])('never steals a live lock of %s, however long it is held', async (hostLabel) => {
    const h = createHarness({ locks: createRunLocks({ staleMs: STALE_MS, hostLabel: 'test-host' }) });
    const run = makeRun(h.root, RUN);
    const holder = await holdLock(run, hostLabel);
    const deadline = Date.now() + STALE_MS * 2.5;
    while (Date.now() < deadline) {
      await expect(h.service.clearer.clear(RUN, { actor: 'a' })).rejects.toMatchObject({ code: 'clear_in_progress' });
      await sleep(250);
    }
    expect(fs.existsSync(path.join(run, '.exlab-wizard/ingest.json'))).toBe(true);
    holder.send('release');
    await holder.said('released');
    expect((await h.service.clearer.clear(RUN, { actor: 'a' })).outcome).toBe('cleared');
    expect(journalLines(h)).toHaveLength(1);
  });
});

// Writes until the filesystem is full.
function fillDisk(file: string): void {
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
}
