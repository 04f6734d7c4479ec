// The live index (service/stagingIndex.ts) against changes made under the
// service's feet: after each change, the very next answer of every reader
// (the listing, one run's row, health, the capacity answer, the metrics) is
// what a service that walks the whole tree on every answer
// (index.notifications: false) says of the same tree, and shows the change.
// Both are real processes, without root's right to read every folder, so
// that a folder made unreadable is one.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type ServiceProcess } from '../helpers/serviceProcess.ts';
import { ingestFor, makeRun, makeTempDir } from '../helpers/stagingTree.ts';
import { isMounted, mountTmpfs, unmount } from '../helpers/tmpfs.ts';

const WITHOUT_DAC_OVERRIDE = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--'];
const canRun = process.getuid?.() === 0 && fs.existsSync('/usr/bin/setpriv');

interface Row {
  run_path: string;
  [field: string]: unknown;
}

// What every reader answers, less what moves with the clock alone.
async function answers(base: string, runPath: string) {
  const get = async (route: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${route}`, { headers });
    return response.headers.get('content-type')?.includes('json') ? response.json() : response.text();
  };
  const listing = (await get('/api/v1/staging')) as { runs: Row[]; problems: unknown[] };
  const one = (await get(`/api/v1/staging/${runPath}`)) as Record<string, unknown>;
  const health = (await get('/api/v1/health', { 'cache-control': 'no-cache' })) as Record<string, unknown>;
  const capacity = (await get('/api/v1/staging/capacity')) as Record<string, unknown>;
  const metrics = (await get('/metrics')) as string;
  const timeless = ({ elapsed_seconds_since_last_activity: _, ...row }: Row | Record<string, unknown>) => row;
  return {
    runs: listing.runs.map(timeless),
    problems: listing.problems,
    one: 'run_path' in one ? timeless(one) : one,
    // The volume's figures move with whatever else writes to it.
    health: { folder_problems: health.folder_problems, run_permissions: (health.checks as Record<string, unknown>).run_permissions },
    staged: capacity.staged,
    gauges: metrics.split('\n').filter((line) => /^staging_cleanup_(staged_|auto_eligible_runs)/.test(line)),
  };
}

describe.skipIf(!canRun)('the live index, against a service that walks the tree on every answer', () => {
  const dir = makeTempDir();
  const staging = path.join(dir, 'staging');
  const mountPoint = path.join(staging, 'EQ_M/P_mounted');
  let live: ServiceProcess;
  let walking: ServiceProcess;
  const urls = { live: '', walking: '' };

  const start = (env: Record<string, string>): ServiceProcess =>
    startService(
      { STAGING_CLEANUP_STAGING_ROOT: staging, STAGING_CLEANUP_JOURNAL_DIR: path.join(dir, 'journal'), ...env },
      dir,
      { wrapper: WITHOUT_DAC_OVERRIDE },
    );

  beforeAll(async () => {
    for (const name of ['Run_added_later', 'Run_removed', 'Run_renamed', 'Run_ingest', 'Run_manifest', 'Run_late', 'Run_kept']) {
      makeRun(staging, `EQ/P/Runs/${name}`);
    }
    makeRun(staging, 'EQ/P_closed/Runs/Run_1');
    makeRun(staging, 'EQ_M/P_mounted/Runs/Run_1');
    fs.rmSync(path.join(staging, 'EQ/P/Runs/Run_added_later'), { recursive: true });
    live = start({});
    walking = start({ STAGING_CLEANUP_INDEX_NOTIFICATIONS: 'false' });
    [urls.live, urls.walking] = await Promise.all([live.listening, walking.listening]);
    await fetch(`${urls.live}/api/v1/staging`);
    const health = (await (await fetch(`${urls.live}/api/v1/health`, { headers: { 'cache-control': 'no-cache' } })).json()) as {
      index: { mode: string };
    };
    expect(health.index).toMatchObject({ mode: 'live' });
  }, 60_000);

  afterAll(async () => {
    if (isMounted(mountPoint)) unmount(mountPoint);
    for (const service of [live, walking]) service?.child.kill('SIGTERM');
    await Promise.all([live?.exited, walking?.exited]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ingestPath = (run: string) => path.join(staging, 'EQ/P/Runs', run, '.exlab-wizard/ingest.json');
  const changes: Array<{ change: string; run: string; make: () => void; shows: (seen: Awaited<ReturnType<typeof answers>>) => void }> = [
    {
      change: 'a run added',
      run: 'EQ/P/Runs/Run_added_later',
      make: () => makeRun(staging, 'EQ/P/Runs/Run_added_later'),
      shows: (seen) => expect(seen.runs.map((row) => row.run_path)).toContain('EQ/P/Runs/Run_added_later'),
    },
    {
      change: 'a run removed',
      run: 'EQ/P/Runs/Run_kept',
      make: () => fs.rmSync(path.join(staging, 'EQ/P/Runs/Run_removed'), { recursive: true }),
      shows: (seen) => expect(seen.runs.map((row) => row.run_path)).not.toContain('EQ/P/Runs/Run_removed'),
    },
    {
      change: 'a run renamed',
      run: 'EQ/P/Runs/Run_renamed_now',
      make: () => fs.renameSync(path.join(staging, 'EQ/P/Runs/Run_renamed'), path.join(staging, 'EQ/P/Runs/Run_renamed_now')),
      shows: (seen) => {
        expect(seen.runs.map((row) => row.run_path)).toContain('EQ/P/Runs/Run_renamed_now');
        expect(seen.runs.map((row) => row.run_path)).not.toContain('EQ/P/Runs/Run_renamed');
      },
    },
    {
      change: 'its ingest.json rewritten in place',
      run: 'EQ/P/Runs/Run_ingest',
      // Same file (same inode), truncated and written again, as an editor in place would.
      make: () => fs.writeFileSync(ingestPath('Run_ingest'), JSON.stringify(ingestFor('EQ/P/Runs/Run_ingest', { state: 'sync_queued' }))),
      shows: (seen) => expect(seen.one).toMatchObject({ current_state: 'sync_queued', clearable: false }),
    },
    {
      change: 'its manifest rewritten in place, a file dropped from it',
      run: 'EQ/P/Runs/Run_manifest',
      make: () => {
        const manifest = path.join(staging, 'EQ/P/Runs/Run_manifest/.exlab-wizard/checksums.sha256');
        const lines = fs.readFileSync(manifest, 'utf8').split('\n').filter((line) => !line.endsWith('image_0001.tif'));
        fs.writeFileSync(manifest, lines.join('\n'));
      },
      shows: (seen) => expect(seen.one).toMatchObject({ clearable: false, reason: 'unsynced_files' }),
    },
    {
      change: 'a data file written in a verified run',
      run: 'EQ/P/Runs/Run_late',
      make: () => fs.writeFileSync(path.join(staging, 'EQ/P/Runs/Run_late/late.raw'), 'written after verification'),
      shows: (seen) => expect(seen.one).toMatchObject({ clearable: false, reason: 'unsynced_files', file_count: 4 }),
    },
    {
      change: 'a project folder made unreadable',
      run: 'EQ/P/Runs/Run_kept',
      make: () => fs.chmodSync(path.join(staging, 'EQ/P_closed'), 0o000),
      shows: (seen) => {
        expect(seen.problems).toContainEqual(expect.objectContaining({ run_path: 'EQ/P_closed', code: 'folder_unreadable' }));
        expect(seen.health.folder_problems).toBe(1);
      },
    },
    {
      change: 'another filesystem mounted over a project folder',
      run: 'EQ/P/Runs/Run_kept',
      make: () => mountTmpfs(mountPoint, '1m'),
      shows: (seen) => {
        expect(seen.problems).toContainEqual(expect.objectContaining({ run_path: 'EQ_M/P_mounted', code: 'folder_other_filesystem' }));
        expect(seen.runs.map((row) => row.run_path)).not.toContain('EQ_M/P_mounted/Runs/Run_1');
      },
    },
  ];

  for (const { change, run, make, shows } of changes) {
    it(`shows ${change} in the next answer of the listing, one run's row, health, capacity and metrics`, async () => {
      make();
      const seen = await answers(urls.live, run);
      shows(seen);
      expect(seen).toEqual(await answers(urls.walking, run));
    });
  }

  // A walk keeps a settled run's counts while its folders keep their
  // stamps, which an append changes in none: only the index is told.
  it('shows a data file appended to in place, which no folder stamp shows, in the next listing', async () => {
    fs.appendFileSync(path.join(staging, 'EQ/P/Runs/Run_kept/image_0002.tif'), 'appended after verification');
    const seen = await answers(urls.live, 'EQ/P/Runs/Run_kept');
    expect(seen.one).toMatchObject({ clearable: false, reason: 'unsynced_files', byte_total: 100 + 250 + 6 + 27 });
  });

  it("shows a data file appended to in place in the next answer about that run, asked before any listing", async () => {
    fs.appendFileSync(path.join(staging, 'EQ/P/Runs/Run_kept/image_0002.tif'), 'and again');
    const one = (await (await fetch(`${urls.live}/api/v1/staging/EQ/P/Runs/Run_kept`)).json()) as Record<string, unknown>;
    expect(one).toMatchObject({ byte_total: 100 + 250 + 6 + 27 + 9 });
  });

  it('walks nothing and reads no run when nothing changed: health says the index is live, on every folder', async () => {
    const health = (await (await fetch(`${urls.live}/api/v1/health`, { headers: { 'cache-control': 'no-cache' } })).json()) as {
      index: { mode: string; watched_folders: number; runs_read_each_time: number };
    };
    expect(health.index).toMatchObject({ mode: 'live', runs_read_each_time: 0 });
    expect(health.index.watched_folders).toBeGreaterThan(20);
    const walked = (await (await fetch(`${urls.walking}/api/v1/health`, { headers: { 'cache-control': 'no-cache' } })).json()) as {
      index: { mode: string; message: string };
    };
    expect(walked.index).toMatchObject({ mode: 'scanning', message: expect.stringContaining('index.notifications is off') });
  });
});

describe.skipIf(!canRun)('the live index when notifications cannot keep up', () => {
  const QUEUE = '/proc/sys/fs/inotify/max_queued_events';

  it('reads the whole tree again after the kernel queue overflowed, counts it in health, and answers as a walk would', async () => {
    const dir = makeTempDir();
    const staging = path.join(dir, 'staging');
    makeRun(staging, 'EQ/P/Runs/Run_busy');
    makeRun(staging, 'EQ/P/Runs/Run_quiet');
    const queue = fs.readFileSync(QUEUE, 'utf8');
    let service: ServiceProcess | null = null;
    try {
      // An instance's queue is sized when it starts: the service's first answer starts it.
      fs.writeFileSync(QUEUE, '16');
      service = startService({ STAGING_CLEANUP_STAGING_ROOT: staging, STAGING_CLEANUP_JOURNAL_DIR: path.join(dir, 'journal') }, dir);
      const base = await service.listening;
      await fetch(`${base}/api/v1/staging`);
      fs.writeFileSync(QUEUE, queue);
      for (let n = 0; n < 40; n += 1) fs.writeFileSync(path.join(staging, 'EQ/P/Runs/Run_busy', `late_${n}.raw`), 'x');
      const listing = (await (await fetch(`${base}/api/v1/staging`)).json()) as { runs: Row[] };
      expect(listing.runs.find((row) => row.run_path === 'EQ/P/Runs/Run_busy')).toMatchObject({ file_count: 43, reason: 'unsynced_files' });
      const health = (await (await fetch(`${base}/api/v1/health`, { headers: { 'cache-control': 'no-cache' } })).json()) as {
        index: { overflows: number; mode: string };
      };
      expect(health.index).toMatchObject({ overflows: 1, mode: 'live' });
    } finally {
      fs.writeFileSync(QUEUE, queue);
      service?.child.kill('SIGTERM');
      await service?.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the runs beyond index.max_watches on every answer, says so in health, and shows their changes at once', async () => {
    const dir = makeTempDir();
    const staging = path.join(dir, 'staging');
    for (let n = 0; n < 12; n += 1) makeRun(staging, `EQ/P/Runs/Run_${n}`);
    const service = startService(
      { STAGING_CLEANUP_STAGING_ROOT: staging, STAGING_CLEANUP_JOURNAL_DIR: path.join(dir, 'journal'), STAGING_CLEANUP_INDEX_MAX_WATCHES: '16' },
      dir,
    );
    try {
      const base = await service.listening;
      await fetch(`${base}/api/v1/staging`);
      const health = (await (await fetch(`${base}/api/v1/health`, { headers: { 'cache-control': 'no-cache' } })).json()) as {
        index: { mode: string; message: string; runs_read_each_time: number; watched_folders: number };
      };
      expect(health.index.mode).toBe('partly');
      expect(health.index.message).toContain('index.max_watches 16');
      expect(health.index.watched_folders).toBeLessThanOrEqual(16);
      expect(health.index.runs_read_each_time).toBeGreaterThan(0);
      // Every run, watched or not, shows a new file in the next answer.
      for (let n = 0; n < 12; n += 1) fs.writeFileSync(path.join(staging, `EQ/P/Runs/Run_${n}/late.raw`), 'late');
      const listing = (await (await fetch(`${base}/api/v1/staging`)).json()) as { runs: Row[] };
      expect(listing.runs.map((row) => row.reason)).toEqual(Array(12).fill('unsynced_files'));
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(process.getuid?.() !== 0)('the live index and inode flags', () => {
  it('lists a run made immutable (chattr +i, which notifies nothing) as refused once a clear of it was refused', async () => {
    const dir = makeTempDir();
    const staging = path.join(dir, 'staging');
    const run = makeRun(staging, 'EQ/P/Runs/Run_frozen');
    const service = startService({ STAGING_CLEANUP_STAGING_ROOT: staging, STAGING_CLEANUP_JOURNAL_DIR: path.join(dir, 'journal') }, dir);
    try {
      const base = await service.listening;
      const rowOf = async () => ((await (await fetch(`${base}/api/v1/staging`)).json()) as { runs: Row[] }).runs[0];
      expect(await rowOf()).toMatchObject({ clearable: true });
      execFileSync('chattr', ['+i', run]);
      const refused = await fetch(`${base}/api/v1/staging/EQ/P/Runs/Run_frozen/clear`, { method: 'POST' });
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('staging_permission_denied');
      expect(await rowOf()).toMatchObject({ clearable: false, reason: 'staging_permission_denied' });
    } finally {
      execFileSync('chattr', ['-i', run]);
      service.child.kill('SIGTERM');
      await service.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
