// The README's permissions recipe, on real users: the instruments' user owns
// the staging tree and writes with umask 022; the service runs as a user of
// its own. Without the recipe a new run is listed as not clearable, with the
// permission reason, and health counts it; after
// ops/permissions/staging-permissions.sh, a run written later, with the same
// umask, is clearable and the service clears it; a run copied in later with
// its own modes (cp -a), or whose ingest.json is written with mode 0600, is
// refused until the script runs again.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeAsRoot } from '../helpers/root.ts';
import { serviceMainFor } from '../helpers/serviceCopy.ts';
import { startService, type ServiceProcess } from '../helpers/serviceProcess.ts';
import { DEFAULT_FILES, makeRun, makeTempDir } from '../helpers/stagingTree.ts';
import { addGroup, addUser, removeUsersAndGroups, systemName, type SystemUser } from '../helpers/systemUsers.ts';

const SCRIPT = path.join(import.meta.dirname, '..', '..', 'ops', 'permissions', 'staging-permissions.sh');
const BEFORE = 'EQ/P/Runs/Run_before';
const AFTER = 'EQ/P/Runs/Run_after';
const COPIED = 'EQ/P/Runs/Run_copied';
const MASKED = 'EQ/P/Runs/Run_masked';

// Copies a run made by the fixtures as `user` would write it: folders and
// files created afresh under umask 022 (no chmod after, as an acquisition
// program writes), times kept so that the run stays one the NAS has.
const WRITER = `
const fs = require('node:fs'), path = require('node:path');
const [from, to] = process.argv.slice(1);
process.umask(0o022);
const copy = (source, target) => {
  const stat = fs.lstatSync(source);
  if (stat.isDirectory()) {
    fs.mkdirSync(target, { recursive: true });
    for (const name of fs.readdirSync(source)) copy(path.join(source, name), path.join(target, name));
  } else fs.writeFileSync(target, fs.readFileSync(source));
  fs.utimesSync(target, stat.atime, stat.mtime);
};
copy(from, to);
fs.utimesSync(to, fs.statSync(from).atime, fs.statSync(from).mtime);
`;

const hasSetfacl = spawnSync('sh', ['-c', 'command -v setfacl']).status === 0;

interface Listed {
  runs: Array<{ run_path: string; clearable: boolean; reason: string }>;
  problems: Array<{ run_path: string; code: string; message: string }>;
}
interface Health {
  checks: { run_permissions: { ok: boolean; runs: number; message: string } };
}

describeAsRoot('the staging permissions recipe, with the instruments and the service as users of their own', () => {
  const users = { instruments: systemName('i'), service: systemName('s') };
  const group = systemName('g');
  let instruments: SystemUser;
  let service: SystemUser;
  let dir: string;
  let root: string;
  let template: string;
  let started: ServiceProcess | undefined;
  let url: string;

  const writeRun = (runPath: string): void => {
    execFileSync(instruments.asUser[0]!, [...instruments.asUser.slice(1), process.execPath, '-e', WRITER, path.join(template, runPath), path.join(root, runPath)]);
  };
  const listing = async (): Promise<Listed> => (await fetch(`${url}/api/v1/staging`)).json() as Promise<Listed>;
  const health = async (): Promise<Health> =>
    (await fetch(`${url}/api/v1/health`, { headers: { 'cache-control': 'no-cache' } })).json() as Promise<Health>;
  const rowOf = (listed: Listed, runPath: string) => listed.runs.find((row) => row.run_path === runPath);

  beforeAll(async () => {
    addGroup(group);
    instruments = addUser(users.instruments);
    service = addUser(users.service, [group]);
    dir = makeTempDir();
    fs.chmodSync(dir, 0o755);
    template = path.join(dir, 'template');
    for (const runPath of [BEFORE, AFTER, COPIED, MASKED]) makeRun(template, runPath);
    execFileSync('chmod', ['-R', 'a+rX', template]);
    root = path.join(dir, 'staging');
    fs.mkdirSync(root);
    fs.chownSync(root, instruments.uid, instruments.gid);
    writeRun(BEFORE);
    const journal = path.join(dir, 'journal');
    fs.mkdirSync(journal);
    fs.chownSync(journal, service.uid, service.gid);
    started = startService({ STAGING_CLEANUP_STAGING_ROOT: root, STAGING_CLEANUP_JOURNAL_DIR: journal }, dir, {
      wrapper: service.asUser,
      main: serviceMainFor(service.asUser, dir),
    });
    url = await started.listening;
    // Users made, a copy of the service for them, and its start: a minute on a busy machine.
  }, 60_000);
  afterAll(async () => {
    started?.child.kill('SIGTERM');
    await started?.exited;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    removeUsersAndGroups([users.instruments, users.service], [group]);
  });

  it('without the recipe: a run written with umask 022 is listed not clearable, with the permission reason, and health counts it', async () => {
    expect(rowOf(await listing(), BEFORE)).toMatchObject({ clearable: false, reason: 'staging_permission_denied' });
    const { run_permissions } = (await health()).checks;
    expect(run_permissions).toMatchObject({ ok: false, runs: 1 });
    expect(run_permissions.message).toContain(`1 staged run cannot be cleared: this service (uid ${service.uid}`);
    expect(run_permissions.message).toContain(BEFORE);
    const refused = await fetch(`${url}/api/v1/staging/${BEFORE}/clear`, { method: 'POST' });
    expect(refused.status).toBe(503);
  });

  it.skipIf(!hasSetfacl)('after the recipe: the run already there and one written later with umask 022 are clearable, and the service clears both', async () => {
    execFileSync(SCRIPT, [root, group]);
    writeRun(AFTER);
    const listed = await listing();
    for (const runPath of [BEFORE, AFTER]) expect(rowOf(listed, runPath)).toMatchObject({ clearable: true, reason: 'manual_mode' });
    expect((await health()).checks.run_permissions).toMatchObject({ ok: true, runs: 0 });
    for (const runPath of [AFTER, BEFORE]) {
      const cleared = await fetch(`${url}/api/v1/staging/${runPath}/clear`, { method: 'POST' });
      expect(cleared.status).toBe(200);
      expect(fs.existsSync(path.join(root, runPath))).toBe(false);
    }
    // The folders the instruments' user made stay theirs.
    expect(fs.statSync(path.join(root, 'EQ/P/Runs')).uid).toBe(instruments.uid);
  });

  it.skipIf(!hasSetfacl)('a run copied in with cp -a (its own modes, no ACL) is refused until the script runs again, which leaves its data files as they were', async () => {
    // Written elsewhere by the instruments' user, then copied in keeping its modes.
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.chownSync(elsewhere, instruments.uid, instruments.gid);
    const made = path.join(elsewhere, path.basename(COPIED));
    execFileSync(instruments.asUser[0]!, [...instruments.asUser.slice(1), process.execPath, '-e', WRITER, path.join(template, COPIED), made]);
    execFileSync(instruments.asUser[0]!, [...instruments.asUser.slice(1), 'cp', '-a', made, path.join(root, COPIED)]);
    expect(rowOf(await listing(), COPIED)).toMatchObject({ clearable: false, reason: 'staging_permission_denied' });

    const ctimes = (): number[] => Object.keys(DEFAULT_FILES).map((file) => fs.lstatSync(path.join(root, COPIED, file)).ctimeMs);
    const before = ctimes();
    execFileSync(SCRIPT, [root, group]);
    expect(ctimes()).toEqual(before);
    expect(rowOf(await listing(), COPIED)).toMatchObject({ clearable: true, reason: 'manual_mode' });
    const cleared = await fetch(`${url}/api/v1/staging/${COPIED}/clear`, { method: 'POST' });
    expect(cleared.status).toBe(200);
    expect(fs.existsSync(path.join(root, COPIED))).toBe(false);
  });

  it.skipIf(!hasSetfacl)('a run whose ingest.json is written with mode 0600 (as tempfile.mkstemp makes it) is a problem until the script runs again', async () => {
    writeRun(MASKED);
    execFileSync(instruments.asUser[0]!, [...instruments.asUser.slice(1), 'chmod', '600', path.join(root, MASKED, '.exlab-wizard', 'ingest.json')]);
    const listed = await listing();
    expect(rowOf(listed, MASKED)).toBeUndefined();
    expect(listed.problems.find((problem) => problem.run_path === MASKED)).toMatchObject({ code: 'ingest_invalid', message: expect.stringContaining('EACCES') });

    execFileSync(SCRIPT, [root, group]);
    expect(rowOf(await listing(), MASKED)).toMatchObject({ clearable: true, reason: 'manual_mode' });
    const cleared = await fetch(`${url}/api/v1/staging/${MASKED}/clear`, { method: 'POST' });
    expect(cleared.status).toBe(200);
  });
});
