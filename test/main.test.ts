import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killStartedServices, MAIN, startService } from './helpers/serviceProcess.ts';
import { buildRun } from './helpers/bigRun.ts';
import { makeTempDir } from './helpers/stagingTree.ts';

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => {
  killStartedServices();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the service process (node dist/main.js)', () => {
  it('starts with no configuration over ./staging (created), on loopback, warns about no tokens, and stops on SIGTERM', async () => {
    const service = startService({}, dir);
    const url = await service.listening;
    expect(fs.statSync(path.join(dir, 'staging')).isDirectory()).toBe(true);
    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(200);
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    const messages = service.logLines().map((line) => line.msg);
    expect(messages).toContain(`staging cleanup service started: panel at ${url}/, API docs at ${url}/docs`);
    expect(messages).toContain('no tokens configured: listening on loopback only, every local caller may clear runs');
    expect(messages).toContain('stopping: no new requests; waiting for running clears');
    expect(messages.at(-1)).toBe('stopped');
  });

  it('exits non-zero, naming the key and what is allowed, on a bad value', async () => {
    const service = startService({ STAGING_CLEANUP_MODE: 'sometimes' }, dir);
    expect((await service.exited).code).toBe(2);
    expect(service.output()).toContain('staging_cleanup.mode');
    expect(service.output()).toContain('"manual"|"scheduled"');
    expect(service.output()).not.toMatch(/\n\s+at /);
  });

  it('exits non-zero on a pressure target that is not below its high-water mark, with one line naming the key', async () => {
    const service = startService(
      { STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '80', STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '90' },
      dir,
    );
    expect((await service.exited).code).toBe(2);
    expect(service.output().trim().split('\n')).toEqual([
      'staging-cleanup: invalid configuration: pressure.target_percent: must be below pressure.high_water_percent (80), ' +
        'so that a sweep leaves room before the next (got 90) [STAGING_CLEANUP_PRESSURE_TARGET_PERCENT]',
    ]);
  });

  it('exits non-zero with one line when the port is in use by a first instance', async () => {
    const first = startService({}, dir);
    const port = new URL(await first.listening).port;
    const second = startService({ STAGING_CLEANUP_LISTEN_PORT: port }, dir);
    expect((await second.exited).code).toBe(2);
    expect(second.output().trim()).toBe(
      `staging-cleanup: cannot listen on 127.0.0.1:${port}: the port is in use (another staging-cleanup?). ` +
        'Stop it, or set listen.port (STAGING_CLEANUP_LISTEN_PORT).',
    );
    first.child.kill('SIGTERM');
    await first.exited;
  });

  it('exits non-zero with one line when a configured staging_root does not exist, creating nothing', async () => {
    const missing = path.join(dir, 'not-mounted');
    const service = startService({ STAGING_CLEANUP_STAGING_ROOT: missing }, dir);
    expect((await service.exited).code).toBe(2);
    expect(service.output().trim().split('\n')).toEqual([
      `staging-cleanup: staging_root ${missing} does not exist: point staging_root (STAGING_CLEANUP_STAGING_ROOT) ` +
        "at the orchestrator's staging folder, or mount it there.",
    ]);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('exits non-zero with one line when the journal cannot be written', async () => {
    fs.writeFileSync(path.join(dir, 'journal'), 'a file where the journal folder should be');
    const service = startService({}, dir);
    expect((await service.exited).code).toBe(2);
    const lines = service.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^staging-cleanup: The clear journal in .*journal cannot be written .* Make journal_dir/);
  });

  // Settings that would switch a check off stop the start, each in one line naming its key.
  it.each([
    ['an empty environment value', { STAGING_CLEANUP_LISTEN_PORT: '' }, 'STAGING_CLEANUP_LISTEN_PORT is set but empty'],
    ['an empty token', { STAGING_CLEANUP_CLEAR_TOKEN: ' ' }, 'STAGING_CLEANUP_CLEAR_TOKEN is set but empty'],
    ['a clock tolerance past a day', { STAGING_CLEANUP_MTIME_TOLERANCE_SECONDS: '86401' }, 'verify_before_clear.mtime_tolerance_seconds: at most 86400'],
    ['a retain window past ten years', { STAGING_CLEANUP_RETAIN_HOURS: '87601' }, 'staging_cleanup.retain_hours: at most 87600'],
    ['a sweep interval past a day', { STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '2147484' }, 'sweep_interval_seconds: at most 86400'],
    ['a staging_root of /', { STAGING_CLEANUP_STAGING_ROOT: '/' }, 'staging_root: / is the whole filesystem'],
    ['a staging_root of /etc', { STAGING_CLEANUP_STAGING_ROOT: '/etc' }, 'staging_root: /etc is the system folder /etc'],
    ['a staging_root in /proc', { STAGING_CLEANUP_STAGING_ROOT: '/proc/self' }, 'staging_root: /proc/self is inside /proc'],
    ['a staging_root holding the service', { STAGING_CLEANUP_STAGING_ROOT: path.resolve(MAIN, '..', '..', '..') }, "holds this service's own installation"],
    ['a journal_dir inside staging_root', { STAGING_CLEANUP_JOURNAL_DIR: './staging/.journal' }, 'staging/.journal is inside staging_root'],
    ['a journal_dir in /proc', { STAGING_CLEANUP_JOURNAL_DIR: '/proc/self/journal' }, 'journal_dir: /proc/self/journal is inside /proc'],
  ])('exits non-zero with one line naming the key for %s', async (_, env, expected) => {
    const service = startService(env, dir);
    expect((await service.exited).code).toBe(2);
    const lines = service.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^staging-cleanup: invalid configuration: /);
    expect(lines[0]).toContain(expected);
  });

  it('refuses to start listening beyond loopback without a token, saying why', async () => {
    const service = startService({ STAGING_CLEANUP_LISTEN_HOST: '0.0.0.0' }, dir);
    expect((await service.exited).code).toBe(2);
    expect(service.output()).toContain('no tokens are configured');
  });

  // A child process clearing 10,000 files: slow on a loaded machine.
  it('lets a running clear finish when stopped, then exits', { timeout: 90_000 }, async () => {
    const run = buildRun(path.join(dir, 'staging'), 'EQ/P/Runs/Run_1', { folders: 10, filesPerFolder: 1000 });
    const service = startService({}, dir);
    const url = await service.listening;
    const clearing = fetch(`${url}/api/v1/staging/EQ/P/Runs/Run_1/clear`, { method: 'POST' });
    // Stopped once the clear has recorded itself and is deleting.
    const ingest = path.join(run, '.exlab-wizard/ingest.json');
    const recorded = (): boolean => {
      try {
        return fs.readFileSync(ingest, 'utf8').includes('"current_state": "cleared"');
      } catch {
        return true;
      }
    };
    while (!recorded()) await new Promise((resolve) => setTimeout(resolve, 5));
    service.child.kill('SIGTERM');
    const response = await clearing;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { files_freed: number }).files_freed).toBe(10_002);
    expect((await service.exited).code).toBe(0);
    expect(fs.existsSync(run)).toBe(false);
  });
});
