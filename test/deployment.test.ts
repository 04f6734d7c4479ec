// Deployable as written: the compose file and the Dockerfile (read, since no
// Docker engine runs here), and the service run as a user who does not own
// the staging tree, as a container running as `node` over the orchestrator's
// folder would be.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeAsRoot } from './helpers/root.ts';
import { serviceMainFor } from './helpers/serviceCopy.ts';
import { SERVICE_NODE_OPTIONS, startService, type ServiceProcess } from './helpers/serviceProcess.ts';
import { makeRun, makeTempDir, snapshotTree } from './helpers/stagingTree.ts';

const repo = path.join(import.meta.dirname, '..');
const read = (name: string): string => fs.readFileSync(path.join(repo, name), 'utf8');

interface ComposeService {
  user: string;
  ports: string[];
  environment: Record<string, string>;
  volumes: Array<{ type: string; source: string; target: string; bind?: { create_host_path?: boolean } }>;
}

const service = (): ComposeService =>
  (parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> }).services['staging-cleanup']!;

describe('docker-compose.yml', () => {
  it('mounts the staging folder at its host path and points staging_root there, creating nothing', () => {
    const { volumes, environment } = service();
    const staging = volumes.find((volume) => volume.source === '${STAGING_ROOT}');
    expect(staging).toMatchObject({ type: 'bind', target: '${STAGING_ROOT}', bind: { create_host_path: false } });
    expect(environment.STAGING_CLEANUP_STAGING_ROOT).toMatch(/^\$\{STAGING_ROOT:\?.+\}$/);
  });

  it("runs as the staging tree's owner, with the journal in a host folder it owns", () => {
    const { user, volumes } = service();
    expect(user).toMatch(/^\$\{STAGING_UID:\?.+\}:\$\{STAGING_GID:\?.+\}$/);
    expect(volumes.find((volume) => volume.target === '/data/journal')).toMatchObject({
      type: 'bind',
      source: '${JOURNAL_DIR:-./journal}',
      bind: { create_host_path: false },
    });
  });

  it('publishes on loopback only and names no replica label two replicas would share', () => {
    const { ports, environment } = service();
    expect(ports.every((port) => port.startsWith('127.0.0.1:'))).toBe(true);
    expect(environment.STAGING_CLEANUP_HOST_LABEL).toBeUndefined();
    expect(read('docker-compose.yml')).toContain('reverse proxy');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds in two stages on node:24-slim and runs production dependencies as the node user', () => {
    expect(dockerfile.match(/^FROM node:24-slim/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('health-checks /api/v1/health on the configured port, and makes no empty staging folder to serve', () => {
    const healthcheck = dockerfile.slice(dockerfile.indexOf('HEALTHCHECK'));
    expect(healthcheck).toContain('process.env.STAGING_CLEANUP_LISTEN_PORT');
    expect(healthcheck).toContain('/api/v1/health');
    expect(dockerfile).not.toMatch(/VOLUME.*\/data\/staging/);
    expect(dockerfile).not.toMatch(/mkdir[^\n]*\/data\/staging/);
  });
});

describe("the service's Node options", () => {
  it('are the same in the Dockerfile, the systemd unit and npm start as in the tests and the benchmarks', () => {
    const options = SERVICE_NODE_OPTIONS.join(' ');
    expect(read('Dockerfile')).toContain(`CMD ["node", ${SERVICE_NODE_OPTIONS.map((option) => JSON.stringify(option)).join(', ')}, "dist/main.js"]`);
    expect(read('ops/systemd/staging-cleanup.service')).toContain(`ExecStart=/usr/bin/node ${options} /opt/staging-cleanup/dist/main.js`);
    expect((JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start).toBe(`node ${options} dist/main.js`);
  });
});

describeAsRoot('a staging tree owned by another user', () => {
  let dir: string;
  let root: string;
  let runDir: string;
  let before: ReturnType<typeof snapshotTree>;
  let started: ServiceProcess | undefined;
  let url: string;
  beforeAll(async () => {
    dir = makeTempDir();
    fs.chmodSync(dir, 0o755);
    root = path.join(dir, 'staging');
    runDir = makeRun(root, 'EQ/P/Runs/Run_1');
    // A run folder this user may not even read: its row becomes a problem; the others stay listed.
    fs.chmodSync(makeRun(root, 'EQ/P/Runs/Run_closed'), 0o700);
    const journal = path.join(dir, 'journal');
    fs.mkdirSync(journal);
    fs.chownSync(journal, 1000, 1000);
    before = snapshotTree(runDir);
    const asNode = ['setpriv', '--reuid=1000', '--regid=1000', '--clear-groups', '--'];
    started = startService(
      { STAGING_CLEANUP_STAGING_ROOT: root, STAGING_CLEANUP_JOURNAL_DIR: journal },
      dir,
      { wrapper: asNode, main: serviceMainFor(asNode, dir) },
    );
    url = await started.listening;
  });
  afterAll(async () => {
    started?.child.kill('SIGTERM');
    await started?.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is not ready: health names the unwritable root and the uid, and the log says clears will be refused', async () => {
    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(503);
    const report = (await health.json()) as { checks: Record<string, { ok: boolean; message: string }>; runs_as: unknown };
    expect(report.checks.staging_root_writable).toEqual({
      ok: false,
      message: `this service cannot create and remove entries in ${root} (EACCES)`,
    });
    expect(report.runs_as).toEqual({ uid: 1000, gid: 1000 });
    expect(started?.output()).toContain('clears will be refused');
  });

  it('refuses a clear with 503 staging_permission_denied naming the folder and the uid, deleting nothing', async () => {
    const eligibility = (await (await fetch(`${url}/api/v1/staging/EQ/P/Runs/Run_1/eligibility`)).json()) as Record<string, unknown>;
    expect(eligibility).toMatchObject({ reason: 'staging_permission_denied', clearable: false });
    const clear = await fetch(`${url}/api/v1/staging/${encodeURIComponent(runDir)}/clear`, { method: 'POST' });
    expect(clear.status).toBe(503);
    const { error } = (await clear.json()) as { error: { code: string; message: string; details: unknown } };
    expect(error.code).toBe('staging_permission_denied');
    expect(error.message).toContain('uid 1000');
    expect(error.details).toEqual({ path: path.dirname(runDir), error_code: 'EACCES', uid: 1000, gid: 1000 });
    expect(snapshotTree(runDir)).toEqual(before);
  });

  it('lists a run folder it cannot read as a problem of its own, and the other runs as usual', async () => {
    const listing = (await (await fetch(`${url}/api/v1/staging`)).json()) as {
      runs: Array<{ run_path: string }>;
      problems: Array<{ run_path: string; code: string; message: string }>;
    };
    expect(listing.runs.map((row) => row.run_path)).toEqual(['EQ/P/Runs/Run_1']);
    expect(listing.problems).toMatchObject([{ run_path: 'EQ/P/Runs/Run_closed', code: 'survey_failed' }]);
    expect(listing.problems[0]?.message).toContain('(EACCES)');
  });
});
