// The tree is untrusted input, tried as an instrument PC (or anyone who can write the staging
// tree) would: names that are not UTF-8, paths deeper than PATH_MAX, FIFOs
// and huge sparse files where the service reads, manifest entries that climb
// out of the run. Each must end as a refusal or a problem for that run, with
// nothing deleted that should stay, while healthy runs keep being served.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../helpers/appHarness.ts';
import { snapshotBytes } from '../helpers/byteTree.ts';
import { startService, type StartOptions } from '../helpers/serviceProcess.ts';
import { FILES_WRITTEN_AT, makeRun, makeTempDir, writeFiles } from '../helpers/stagingTree.ts';

const RUN = 'EQ/P/Runs/Run_1';
const HEALTHY = 'EQ/P/Runs/Run_healthy';
// "Messung_é_late.raw" as a Windows instrument PC writes it: é is 0xE9 in Latin-1.
const LATIN1_NAME = Buffer.from('Messung_\xe9_late.raw', 'latin1');
const SHOWN_LATIN1 = 'Messung_\\xe9_late.raw';

function bytesPath(folder: string, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${folder}/`), name]);
}

function clear(h: AppHarness, runPath: string, dryRun = false) {
  return h.http().post(`/api/v1/staging/${runPath}/clear${dryRun ? '?dry_run=true' : ''}`);
}

// Refused with `code` on the dry run and the clear alike, the run untouched.
async function expectRefused(h: AppHarness, runPath: string, status: number, code: string) {
  const run = path.join(h.root, runPath);
  const before = snapshotBytes(run);
  const dry = await clear(h, runPath, true).expect(status);
  expect(dry.body.error.code).toBe(code);
  const real = await clear(h, runPath).expect(status);
  expect(real.body.error.code).toBe(code);
  expect(snapshotBytes(run)).toEqual(before);
  return real.body.error as { code: string; message: string; details?: Record<string, unknown> };
}

// Creates nested folders `levels` deep, each named by `nameLength` letters,
// through descriptors (a path this long cannot be named whole); returns the
// deepest folder's descriptor path builder and the relative path.
function deepFolder(runDir: string, levels: number, nameLength: number): { relative: string; inside: (name: string) => Buffer; close: () => void } {
  const names = Array.from({ length: levels }, (_, level) => `${String(level).padStart(3, '0')}${'d'.repeat(nameLength - 3)}`);
  let fd = fs.openSync(runDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  const opened = [fd];
  for (const name of names) {
    fs.mkdirSync(`/proc/self/fd/${fd}/${name}`);
    fd = fs.openSync(`/proc/self/fd/${fd}/${name}`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    opened.push(fd);
  }
  return {
    relative: names.join('/'),
    inside: (name) => Buffer.from(`/proc/self/fd/${fd}/${name}`),
    close: () => opened.forEach((each) => fs.closeSync(each)),
  };
}

function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

describe('names that are not UTF-8 (Latin-1 from Windows instrument PCs)', () => {
  it.each([
    ['at the top of the run', ''],
    ['in a nested folder', 'raw/day2'],
  ])('refuses a run with a late Latin-1 file %s, deleting nothing and naming it escaped', async (_, folder) => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    fs.mkdirSync(path.join(run, folder), { recursive: true });
    fs.writeFileSync(bytesPath(path.join(run, folder), LATIN1_NAME), 'written after verification');
    const error = await expectRefused(h, RUN, 409, 'unsynced_files');
    const shown = folder ? `${folder}/${SHOWN_LATIN1}` : SHOWN_LATIN1;
    expect(error.details?.unsynced).toEqual([{ path: shown, escaped: true, reason: 'not_in_manifest' }]);
    expect(fs.readFileSync(bytesPath(path.join(run, folder), LATIN1_NAME), 'utf8')).toBe('written after verification');
    expect(fs.existsSync(path.join(run, '.exlab-wizard/ingest.json'))).toBe(true);
  });

  it('clears and counts a synced Latin-1 file that the manifest lists byte for byte', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    const file = bytesPath(run, LATIN1_NAME);
    fs.writeFileSync(file, 'synced');
    fs.utimesSync(file, FILES_WRITTEN_AT, FILES_WRITTEN_AT);
    const manifest = path.join(run, '.exlab-wizard/checksums.sha256');
    fs.appendFileSync(manifest, Buffer.concat([Buffer.from(`${sha256('synced')}  `), LATIN1_NAME, Buffer.from('\n')]));
    const answer = (await clear(h, RUN).expect(200)).body;
    // Three data files, ingest.json, creation.json, the manifest, and the Latin-1 file.
    expect(answer).toMatchObject({ outcome: 'cleared', files_freed: 7 });
    expect(fs.existsSync(run)).toBe(false);
  });
});

describe('paths deeper than PATH_MAX', () => {
  it('keeps a late file 5,000 bytes deep and names it', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    const deep = deepFolder(run, 25, 200);
    try {
      fs.writeFileSync(deep.inside('late.raw'), 'late');
      fs.utimesSync(deep.inside('late.raw'), FILES_WRITTEN_AT, FILES_WRITTEN_AT);
      expect(deep.relative.length).toBeGreaterThan(4096);
      const error = await expectRefused(h, RUN, 409, 'unsynced_files');
      expect(error.details?.unsynced).toEqual([{ path: `${deep.relative}/late.raw`, reason: 'not_in_manifest' }]);
      expect(fs.readFileSync(deep.inside('late.raw'), 'utf8')).toBe('late');
    } finally {
      deep.close();
      // The harness's fs.rmSync cannot remove a path this long; rm walks it by descriptors.
      execFileSync('rm', ['-rf', run]);
    }
  });

  it('clears a synced file 5,000 bytes deep with its run', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    const deep = deepFolder(run, 25, 200);
    try {
      fs.writeFileSync(deep.inside('synced.raw'), 'synced');
      fs.utimesSync(deep.inside('synced.raw'), FILES_WRITTEN_AT, FILES_WRITTEN_AT);
      // The manifest lists it: it reached the NAS.
      fs.appendFileSync(path.join(run, '.exlab-wizard/checksums.sha256'), `${sha256('synced')}  ${deep.relative}/synced.raw\n`);
    } finally {
      deep.close();
    }
    const answer = (await clear(h, RUN).expect(200)).body;
    expect(answer.outcome).toBe('cleared');
    expect(fs.existsSync(run)).toBe(false);
  });
});

describe('FIFOs where the service reads', () => {
  it('lists a run whose ingest.json is a FIFO as a problem, while listings, health and a healthy dry run answer', async () => {
    const h = await createAppHarness();
    makeRun(h.root, HEALTHY);
    const run = makeRun(h.root, RUN);
    fs.rmSync(path.join(run, '.exlab-wizard/ingest.json'));
    execFileSync('mkfifo', [path.join(run, '.exlab-wizard/ingest.json')]);
    // More listings at once than libuv has threads: none may wait on the FIFO.
    const listings = await Promise.all(Array.from({ length: 8 }, () => h.http().get('/api/v1/staging').expect(200)));
    for (const listing of listings) {
      expect(listing.body.runs.map((row: { run_path: string }) => row.run_path)).toEqual([HEALTHY]);
      expect(listing.body.problems).toMatchObject([{ run_path: RUN, code: 'ingest_invalid' }]);
      expect(listing.body.problems[0].message).toMatch(/not a regular file/);
    }
    await h.http().get('/api/v1/health').expect(200);
    expect((await clear(h, HEALTHY, true).expect(200)).body.outcome).toBe('would_clear');
    expect((await clear(h, RUN).expect(422)).body.error.code).toBe('ingest_invalid');
  });

  it('refuses a run whose checksum manifest is a FIFO with manifest_invalid, and still clears a healthy run', async () => {
    const h = await createAppHarness();
    makeRun(h.root, HEALTHY);
    const run = makeRun(h.root, RUN);
    const manifest = path.join(run, '.exlab-wizard/checksums.sha256');
    fs.rmSync(manifest);
    execFileSync('mkfifo', [manifest]);
    const error = await expectRefused(h, RUN, 422, 'manifest_invalid');
    expect(error.message).toMatch(/not a regular file/);
    const eligibility = (await h.http().get(`/api/v1/staging/${RUN}/eligibility`).expect(200)).body;
    expect(eligibility).toMatchObject({ reason: 'manifest_invalid', clearable: false });
    expect((await clear(h, HEALTHY).expect(200)).body.outcome).toBe('cleared');
  });
});

describe('huge files where the service reads', () => {
  it('lists ten sparse 450 MiB ingest.json files as problems naming the cap, without reading them', async () => {
    const h = await createAppHarness();
    makeRun(h.root, HEALTHY);
    for (let index = 0; index < 10; index += 1) {
      const run = makeRun(h.root, `EQ/P/Runs/Run_huge${index}`);
      fs.truncateSync(path.join(run, '.exlab-wizard/ingest.json'), 450 * 1024 * 1024);
    }
    const listing = (await h.http().get('/api/v1/staging').expect(200)).body;
    expect(listing.runs.map((row: { run_path: string }) => row.run_path)).toEqual([HEALTHY]);
    expect(listing.problems).toHaveLength(10);
    for (const problem of listing.problems) {
      expect(problem).toMatchObject({ code: 'ingest_invalid' });
      expect(problem.message).toMatch(/over the 4194304-byte cap \(ingest_max_bytes\)/);
    }
    await h.http().get('/api/v1/health').expect(200);
  });

  it('refuses a run whose manifest is a 400 GiB sparse file, deleting nothing', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    fs.truncateSync(path.join(run, '.exlab-wizard/checksums.sha256'), 400 * 1024 ** 3);
    const error = await expectRefused(h, RUN, 422, 'manifest_invalid');
    expect(error.message).toMatch(/larger than 1073741824 bytes/);
  });

  it('refuses a run whose manifest is one 64 MiB line, naming the line', async () => {
    const h = await createAppHarness();
    const run = makeRun(h.root, RUN);
    fs.writeFileSync(path.join(run, '.exlab-wizard/checksums.sha256'), Buffer.alloc(64 * 1024 * 1024, 'a'));
    const error = await expectRefused(h, RUN, 422, 'manifest_invalid');
    expect(error.message).toMatch(/line 1 is longer than 65536 bytes/);
  });
});

describe('manifest entries that climb out of the run', () => {
  it.each([
    ['with the local check', {}],
    ['with the NAS check alone', { STAGING_CLEANUP_VERIFY_LOCAL_MANIFEST: 'false' }],
  ])('refuses ../ entries naming the line, never hashing outside the trees (%s)', async (_, env) => {
    const nas = fs.mkdtempSync('/tmp/nas-');
    try {
      const h = await createAppHarness({
        env: { STAGING_CLEANUP_VERIFY_NAS: 'checksum', STAGING_CLEANUP_NAS_MOUNTS: JSON.stringify({ '//nas01/lab': nas }), ...env },
      });
      const run = makeRun(h.root, RUN, { files: { 'a.raw': 'a' } });
      writeFiles(path.join(nas, RUN), { 'a.raw': 'a' });
      const hostname = fs.readFileSync('/etc/hostname');
      const manifest = path.join(run, '.exlab-wizard/checksums.sha256');
      fs.appendFileSync(manifest, `${sha256(hostname)}  ../../../../../../../../etc/hostname\n`);
      const error = await expectRefused(h, RUN, 422, 'manifest_invalid');
      expect(error.message).toMatch(/line 2: the entry has a "\.\." segment, outside the run/);
    } finally {
      fs.rmSync(nas, { recursive: true, force: true });
    }
  });
});

// The service process, started over `staging` with `options`, for `work`.
async function withServiceProcess(
  staging: string,
  options: StartOptions,
  work: (url: string) => Promise<void>,
): Promise<void> {
  const base = path.dirname(staging);
  const service = startService(
    { STAGING_CLEANUP_STAGING_ROOT: staging, STAGING_CLEANUP_JOURNAL_DIR: path.join(base, 'journal') },
    base,
    options,
  );
  try {
    await work(await service.listening);
  } finally {
    service.child.kill('SIGKILL');
    await service.exited;
    fs.rmSync(base, { recursive: true, force: true });
  }
}

describe('a folder the service cannot read', () => {
  // Root reads everything; without these two capabilities it obeys the mode bits.
  const withoutDacOverride = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--'];
  it.skipIf(process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/setpriv'))(
    'refuses the clear with survey_failed naming the folder, deleting nothing (service run without DAC override)',
    async () => {
      const staging = path.join(makeTempDir(), 'staging');
      const run = makeRun(staging, RUN, { files: { 'a.raw': 'a', 'data/secret/b.raw': 'b' } });
      fs.chmodSync(path.join(run, 'data/secret'), 0o000);
      await withServiceProcess(staging, { wrapper: withoutDacOverride }, async (url) => {
        const before = snapshotBytes(run);
        const answer = await fetch(`${url}/api/v1/staging/${RUN}/clear`, { method: 'POST' });
        expect(answer.status).toBe(503);
        const { error } = (await answer.json()) as { error: { code: string; details: Record<string, unknown> } };
        expect(error).toMatchObject({ code: 'survey_failed', details: { path: 'data/secret', error_code: 'EACCES' } });
        const eligibility = (await (await fetch(`${url}/api/v1/staging/${RUN}/eligibility`)).json()) as { reason: string };
        expect(eligibility.reason).toBe('survey_failed');
        expect(snapshotBytes(run)).toEqual(before);
      });
    },
  );
});

describe('a tree deeper than the descriptors the service may open', () => {
  it.skipIf(!fs.existsSync('/usr/bin/prlimit'))(
    'refuses the clear with survey_failed (EMFILE), deleting nothing (service limited to 256 open files)',
    async () => {
      const staging = path.join(makeTempDir(), 'staging');
      const run = makeRun(staging, RUN);
      deepFolder(run, 400, 4).close();
      const before = snapshotBytes(run);
      await withServiceProcess(staging, { wrapper: ['prlimit', '--nofile=256:256', '--'] }, async (url) => {
        const answer = await fetch(`${url}/api/v1/staging/${RUN}/clear`, { method: 'POST' });
        expect(answer.status).toBe(503);
        const { error } = (await answer.json()) as { error: { code: string; details: Record<string, unknown> } };
        expect(error).toMatchObject({ code: 'survey_failed', details: { error_code: 'EMFILE' } });
        expect(snapshotBytes(run)).toEqual(before);
      });
    },
  );
});
