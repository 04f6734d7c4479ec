// Nothing under staging_root is dropped without a word: a folder on the way to
// runs that cannot be read, and any entry that is not a folder where only
// folders belong, is a problem of the listing and a count in health,
// and folders named in bytes that are not UTF-8 are listed escaped and can be
// named so in every route, back to the same bytes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppHarness, FRESH_HEALTH } from '../helpers/appHarness.ts';
import { itAsRoot } from '../helpers/root.ts';
import { startService } from '../helpers/serviceProcess.ts';
import { makeRun, makeTempDir } from '../helpers/stagingTree.ts';

// "CONFOCAL_é" as a Windows instrument PC names it: é is 0xE9 in Latin-1.
const LATIN1_EQUIPMENT = Buffer.from('CONFOCAL_\xe9', 'latin1');
const SHOWN_EQUIPMENT = 'CONFOCAL_\\xe9';
const ESCAPED_RUN = `${SHOWN_EQUIPMENT}/PROJ-1/Runs/Run_1`;

// A run path in a URL: each name percent-encoded (a backslash too, which URL
// parsers would otherwise read as a slash), slashes raw.
const inUrl = (runPath: string): string => runPath.split('/').map(encodeURIComponent).join('/');

describe('folder names that are not UTF-8', () => {
  it('lists a run under a Latin-1 equipment folder escaped, and clears and journals it by that name, byte for byte', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'TMP/PROJ-1/Runs/Run_1');
    makeRun(h.root, 'EQ/P/Runs/Run_kept');
    const equipmentDir = Buffer.concat([Buffer.from(`${h.root}/`), LATIN1_EQUIPMENT]);
    fs.renameSync(path.join(h.root, 'TMP'), equipmentDir);

    const listing = (await h.http().get('/api/v1/staging').expect(200)).body;
    const row = listing.runs.find((each: { run_path: string }) => each.run_path === ESCAPED_RUN);
    expect(row).toMatchObject({
      path: `${h.root}/${ESCAPED_RUN}`,
      escaped: true,
      equipment_id: SHOWN_EQUIPMENT,
      current_state: 'sync_verified',
      clearable: true,
      files_to_free: 6,
    });
    expect(listing.problems).toEqual([]);
    const filtered = (await h.http().get('/api/v1/staging').query({ equipment_id: SHOWN_EQUIPMENT }).expect(200)).body;
    expect(filtered.runs.map((each: { run_path: string }) => each.run_path)).toEqual([ESCAPED_RUN]);

    const eligibility = (await h.http().get(`/api/v1/staging/${inUrl(ESCAPED_RUN)}/eligibility`).expect(200)).body;
    expect(eligibility).toMatchObject({ run_path: ESCAPED_RUN, reason: 'manual_mode', clearable: true });
    const one = (await h.http().get(`/api/v1/staging/${encodeURIComponent(ESCAPED_RUN)}`).expect(200)).body;
    expect(one).toMatchObject({ run_path: ESCAPED_RUN, escaped: true });

    const cleared = (await h.http().post(`/api/v1/staging/${inUrl(ESCAPED_RUN)}/clear`).expect(200)).body;
    expect(cleared).toMatchObject({ run_path: ESCAPED_RUN, outcome: 'cleared', files_freed: 6 });
    expect(fs.existsSync(Buffer.concat([equipmentDir, Buffer.from('/PROJ-1/Runs/Run_1')]))).toBe(false);
    // The folders above the run and the other run stay.
    expect(fs.existsSync(Buffer.concat([equipmentDir, Buffer.from('/PROJ-1/Runs')]))).toBe(true);
    expect(fs.existsSync(path.join(h.root, 'EQ/P/Runs/Run_kept'))).toBe(true);

    const journal = (await h.http().get('/api/v1/staging/clears').expect(200)).body.clears;
    expect(journal).toEqual([expect.objectContaining({ run_path: ESCAPED_RUN, outcome: 'cleared', files_freed: 6 })]);
    // Gone now: the journal answers for it under the same name, however spelled.
    const again = (await h.http().post(`/api/v1/staging/${inUrl('CONFOCAL_\\xE9/PROJ-1/Runs/Run_1')}/clear`).expect(200)).body;
    expect(again).toMatchObject({ run_path: ESCAPED_RUN, outcome: 'already_cleared' });
  });

  it('clears such a run named in a set', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'TMP/PROJ-1/Runs/Run_1');
    fs.renameSync(path.join(h.root, 'TMP'), Buffer.concat([Buffer.from(`${h.root}/`), LATIN1_EQUIPMENT]));
    const set = (await h.http().post('/api/v1/staging/clear').send({ run_paths: [ESCAPED_RUN] }).expect(200)).body;
    expect(set.results).toEqual([expect.objectContaining({ run_path: ESCAPED_RUN, outcome: 'cleared' })]);
  });

  it('refuses a backslash that is no escape as invalid_run_path', async () => {
    const h = await createAppHarness();
    const refused = await h.http().get(`/api/v1/staging/${inUrl('CONFOCAL_\\e9/PROJ-1/Runs/Run_1')}`).expect(400);
    expect(refused.body.error).toMatchObject({ code: 'invalid_run_path' });
    expect(refused.body.error.message).toContain('escape');
  });
});

describe('folders the service cannot read', () => {
  // Root reads everything; without these two capabilities it obeys the mode bits.
  const withoutDacOverride = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--'];
  it.skipIf(process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/setpriv'))(
    'lists an unreadable project folder and Runs/ folder as problems naming them and EACCES, and health counts them',
    async () => {
      const base = makeTempDir();
      const staging = path.join(base, 'staging');
      makeRun(staging, 'EQ/P_open/Runs/Run_1');
      makeRun(staging, 'EQ/P_closed/Runs/Run_1');
      makeRun(staging, 'EQ2/P/Runs/Run_1');
      fs.chmodSync(path.join(staging, 'EQ/P_closed'), 0o000);
      fs.chmodSync(path.join(staging, 'EQ2/P/Runs'), 0o300);
      const service = startService(
        { STAGING_CLEANUP_STAGING_ROOT: staging, STAGING_CLEANUP_JOURNAL_DIR: path.join(base, 'journal') },
        base,
        { wrapper: withoutDacOverride },
      );
      try {
        const url = await service.listening;
        const listing = (await (await fetch(`${url}/api/v1/staging`)).json()) as {
          runs: Array<{ run_path: string }>;
          problems: Array<Record<string, unknown>>;
        };
        expect(listing.runs.map((run) => run.run_path)).toEqual(['EQ/P_open/Runs/Run_1']);
        expect(listing.problems).toEqual(
          expect.arrayContaining([
            {
              path: path.join(staging, 'EQ/P_closed'),
              run_path: 'EQ/P_closed',
              code: 'folder_unreadable',
              error_code: 'EACCES',
              message: expect.stringContaining(`${path.join(staging, 'EQ/P_closed')} cannot be read (EACCES)`),
            },
            expect.objectContaining({ run_path: 'EQ2/P/Runs', code: 'folder_unreadable', error_code: 'EACCES' }),
          ]),
        );
        expect(listing.problems).toHaveLength(2);
        const health = (await (await fetch(`${url}/api/v1/health`, { headers: FRESH_HEALTH })).json()) as Record<string, unknown>;
        expect(health).toMatchObject({ status: 'ready', folder_problems: 2 });
      } finally {
        service.child.kill('SIGKILL');
        await service.exited;
        fs.chmodSync(path.join(staging, 'EQ/P_closed'), 0o755);
        fs.rmSync(base, { recursive: true, force: true });
      }
    },
  );

  it('counts no folder problems in health once the tree is read, when every folder can be entered', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'EQ/P/Runs/Run_1');
    // Health never waits for the tree: the count is known once a listing read it.
    await h.http().get('/api/v1/staging').expect(200);
    const health = (await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200)).body;
    expect(health.folder_problems).toBe(0);
    fs.symlinkSync(path.join(h.root, 'EQ/P'), path.join(h.root, 'EQ/P_link'));
    expect((await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200)).body.folder_problems).toBe(1);
  });
});

describe('entries that are not folders where only folders belong', () => {
  // The folder of each level: equipment (the root), project, Runs/ (the
  // project folder) and run (Runs/).
  const LEVELS = ['', 'EQ', 'EQ/P', 'EQ/P/Runs'];

  it('names each FIFO, socket and regular file at every level as not_a_folder with its type, counts them in health, and still clears the runs', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'EQ/P/Runs/Run_1');
    const servers: net.Server[] = [];
    try {
      const expected: Array<[string, string]> = [];
      for (const level of LEVELS) {
        const at = (name: string): string => path.join(h.root, level, name);
        const named = (name: string): string => (level ? `${level}/${name}` : name);
        execFileSync('mkfifo', [at('pipe')]);
        const server = net.createServer();
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(at('sock'), resolve));
        fs.writeFileSync(at('notes.txt'), 'a note, not a run');
        fs.writeFileSync(at('.hidden.txt'), 'hidden: never a problem');
        expected.push([named('notes.txt'), 'file'], [named('pipe'), 'fifo'], [named('sock'), 'socket']);
      }
      const listing = (await h.http().get('/api/v1/staging').expect(200)).body;
      expect(listing.runs.map((run: { run_path: string }) => run.run_path)).toEqual(['EQ/P/Runs/Run_1']);
      const problems = listing.problems as Array<{ run_path: string; code: string; entry_type: string; message: string; path: string }>;
      expect(problems.map((problem) => [problem.run_path, problem.entry_type]).sort()).toEqual(expected.sort());
      expect(problems.every((problem) => problem.code === 'not_a_folder')).toBe(true);
      expect(problems.find((problem) => problem.run_path === 'EQ/P/pipe')).toMatchObject({
        path: path.join(h.root, 'EQ/P/pipe'),
        message: expect.stringContaining('is a FIFO (named pipe), not a folder'),
      });
      const health = (await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200)).body;
      expect(health.folder_problems).toBe(expected.length);
      expect((await h.http().post('/api/v1/staging/EQ/P/Runs/Run_1/clear').expect(200)).body.outcome).toBe('cleared');
      expect(fs.lstatSync(path.join(h.root, 'EQ/P/Runs/pipe')).isFIFO()).toBe(true);
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });

  itAsRoot('names block and character devices with their type', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'EQ/P/Runs/Run_1');
    execFileSync('mknod', [path.join(h.root, 'EQ/chardev'), 'c', '1', '3']);
    execFileSync('mknod', [path.join(h.root, 'EQ/P/Runs/blockdev'), 'b', '7', '200']);
    const listing = (await h.http().get('/api/v1/staging').expect(200)).body;
    expect(listing.problems.map((problem: { run_path: string; entry_type: string }) => [problem.run_path, problem.entry_type]).sort()).toEqual([
      ['EQ/P/Runs/blockdev', 'block_device'],
      ['EQ/chardev', 'char_device'],
    ]);
    expect(listing.runs).toHaveLength(1);
  });
});
