// What a hostile or careless writer of the staging tree can
// do between a clear's check and its deletion, or across a clear and its
// retry: each must keep every file that cannot be shown to be on the NAS.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../helpers/appHarness.ts';
import { snapshotBytes } from '../helpers/byteTree.ts';
import { withImmutable } from '../helpers/faults.ts';
import { ingestFor, makeRun, makeTempDir, writeIngest } from '../helpers/stagingTree.ts';

const RUN = 'EQ/P/Runs/Run_1';
const isRoot = process.getuid?.() === 0;

function clear(h: AppHarness, dryRun = false) {
  return h.http().post(`/api/v1/staging/${RUN}/clear${dryRun ? '?dry_run=true' : ''}`);
}

describe('a clear retried after it was cut short', () => {
  it.skipIf(!isRoot)('still judges every file against the manifest: a file added before the retry is kept', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN, { files: { 'a/stuck.raw': 'stuck', 'b/one.raw': '1' } });
    const first = await withImmutable([path.join(run, 'a/stuck.raw')], () => clear(h).expect(500));
    expect(first.body.error.code).toBe('clear_incomplete');
    expect(fs.existsSync(path.join(run, '.exlab-wizard/checksums.sha256'))).toBe(true);
    fs.writeFileSync(path.join(run, 'a/late.raw'), 'written after the first clear');
    const retry = await clear(h).expect(409);
    expect(retry.body.error.details.unsynced).toEqual([{ path: 'a/late.raw', reason: 'not_in_manifest' }]);
    expect(fs.readFileSync(path.join(run, 'a/late.raw'), 'utf8')).toBe('written after the first clear');
    fs.rmSync(path.join(run, 'a/late.raw'));
    expect((await clear(h).expect(200)).body.outcome).toBe('cleared');
    expect(fs.existsSync(run)).toBe(false);
  });
});

describe('another filesystem mounted inside a run', () => {
  // A data folder and the run's manifest file alone: the survey's refusal.
  // The run's own metadata folder (a copy of it, which would read as
  // sync_verified): its record is never read across a mount.
  it.skipIf(!isRoot).each([
    ['mounted', 503, 'survey_failed', { path: 'mounted', error_code: 'EXDEV' }],
    ['.exlab-wizard/checksums.sha256', 503, 'survey_failed', { path: '.exlab-wizard/checksums.sha256', error_code: 'EXDEV' }],
    ['.exlab-wizard', 422, 'ingest_invalid', undefined],
  ] as const)(
    'refuses a mount at %s (%i %s, saying so), and never deletes from it',
    async (mounted, status, code, details) => {
      const h = await createAppHarness();
      const run = makeRun(h.root, RUN);
      const mountPoint = path.join(run, mounted);
      const canary = makeTempDir('canary-');
      const source = path.join(canary, 'source');
      if (fs.existsSync(mountPoint)) fs.cpSync(mountPoint, source, { recursive: true });
      else {
        fs.mkdirSync(path.join(source, 'sub'), { recursive: true });
        fs.writeFileSync(path.join(source, 'precious.dat'), 'not the run');
        fs.writeFileSync(path.join(source, 'sub/deep.dat'), 'nor this');
        fs.mkdirSync(mountPoint);
      }
      const before = snapshotBytes(canary);
      execFileSync('mount', ['--bind', source, mountPoint]);
      try {
        for (const dryRun of [true, false]) {
          const error = (await clear(h, dryRun).expect(status)).body.error;
          expect(error).toMatchObject({ code, ...(details ? { details } : {}) });
          expect(error.message).toMatch(/another filesystem mounted in the run/);
        }
        expect(snapshotBytes(canary)).toEqual(before);
      } finally {
        execFileSync('umount', [mountPoint]);
        fs.rmSync(canary, { recursive: true, force: true });
      }
    },
  );
});

describe('a device or FIFO where the service reads', () => {
  it('is looked at, never opened: a writer waiting on a FIFO manifest stays waiting', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    const manifest = path.join(run, '.exlab-wizard/checksums.sha256');
    fs.rmSync(manifest);
    execFileSync('mkfifo', [manifest]);
    // Its open for writing returns only once someone opens the FIFO to read.
    const writer = spawn('sh', ['-c', `echo x > '${manifest}'`], { stdio: 'ignore' });
    try {
      expect((await clear(h).expect(422)).body.error.code).toBe('manifest_invalid');
      await sleep(300);
      expect(writer.exitCode).toBeNull();
    } finally {
      writer.kill('SIGKILL');
    }
  });
});

describe('ingest.json that gives nothing to check against', () => {
  it('refuses a sync_verified run with neither a manifest nor a verification time with missing_verified_timestamp, deleting nothing', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN, { verifiedAt: null, manifest: false });
    const before = snapshotBytes(run);
    const error = (await clear(h).expect(422)).body.error;
    expect(error.code).toBe('missing_verified_timestamp');
    expect(snapshotBytes(run)).toEqual(before);
  });

  it('lists a deeply nested ingest.json as a problem and refuses its clear and dry run alike', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    // Written as text: JSON.stringify itself cannot go this deep.
    const deep = `${'['.repeat(10_000)}"bottom"${']'.repeat(10_000)}`;
    writeIngest(run, `${JSON.stringify(ingestFor(RUN)).slice(0, -1)},"deep":${deep}}`);
    const listing = (await h.http().get('/api/v1/staging').expect(200)).body;
    expect(listing.problems).toMatchObject([{ run_path: RUN, code: 'ingest_invalid' }]);
    for (const dryRun of [true, false]) {
      const error = (await clear(h, dryRun).expect(422)).body.error;
      expect(error).toMatchObject({ code: 'ingest_invalid', message: 'ingest.json is nested deeper than 64 levels.' });
    }
  });
});
