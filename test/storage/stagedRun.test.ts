// The staged-run handle on real folders: what it answers for a run that is
// gone, locked by another, or not writable, and that a locked run is read,
// appended to and removed through the descriptor it holds.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resolveRunPath } from '../../src/domain/runPath.ts';
import { createRunLocks } from '../../src/storage/runLock.ts';
import { Busy, createStagedRuns, GONE } from '../../src/storage/stagedRun.ts';
import { createStagingRootGuard } from '../../src/storage/stagingRootGuard.ts';
import { createTreeRunner } from '../../src/storage/engine/treeRunner.ts';
import { createTreeWorkerPool } from '../../src/storage/engine/treeWorkerPool.ts';
import { withImmutable } from '../helpers/faults.ts';
import { hookBeforeLock } from '../helpers/lockHook.ts';
import { itAsRoot } from '../helpers/root.ts';
import { makeRun, makeTempDir, readIngestJson } from '../helpers/stagingTree.ts';

const RUN = 'EQ/P/Runs/Run_1';
const pool = createTreeWorkerPool();
afterAll(() => pool.close());
const bases: string[] = [];
afterEach(() => {
  for (const base of bases.splice(0)) fs.rmSync(base, { recursive: true, force: true });
});

// `beforeLock`: called each time a lock is tried.
function setUp(beforeLock: () => void = () => undefined) {
  const base = makeTempDir();
  bases.push(base);
  const root = path.join(base, 'staging');
  fs.mkdirSync(root);
  const locks = hookBeforeLock(createRunLocks({ hostLabel: 'test-host' }), beforeLock);
  const runs = createStagedRuns({ root: createStagingRootGuard(root), locks, runner: createTreeRunner(pool, 1), ingestMaxBytes: 1 << 20 });
  return { root, runs, location: resolveRunPath(RUN, root) };
}

describe('a staged run', () => {
  it.each(['opened', 'locked'] as const)('is GONE to %s work when a folder on its path is missing, which is not called', async (how) => {
    const { runs, location } = setUp();
    let called = false;
    expect(
      await runs[how](location, async () => {
        called = true;
      }),
    ).toBe(GONE);
    expect(called).toBe(false);
  });

  it('is GONE to locked work when the run went between the look and the lock, and the lock is released', async () => {
    let dir = '';
    const { root, runs, location } = setUp(() => fs.rmSync(dir, { recursive: true }));
    dir = makeRun(root, RUN);
    expect(await runs.locked(location, async () => 'cleared')).toBe(GONE);
    expect(await runs.busyWith(location)).toBeNull();
  });

  it('refuses a path through a symbolic link with invalid_run_path, never following it', async () => {
    const { root, runs, location } = setUp();
    const elsewhere = makeTempDir();
    bases.push(elsewhere);
    makeRun(elsewhere, RUN);
    fs.symlinkSync(path.join(elsewhere, 'EQ'), path.join(root, 'EQ'));
    await expect(runs.opened(location, async () => 'opened')).rejects.toMatchObject({ code: 'invalid_run_path' });
  });

  it('answers Busy, naming the holder, to locked work while another clear holds the lock', async () => {
    const { root, runs, location } = setUp();
    makeRun(root, RUN);
    const other = await createRunLocks({ hostLabel: 'test-host' }).tryAcquire(location.diskPath);
    try {
      expect(await runs.locked(location, async () => 'cleared')).toEqual(
        new Busy({ holder: expect.objectContaining({ host: 'test-host', pid: process.pid }), takeoverAt: null }),
      );
    } finally {
      await other?.release();
    }
  });

  it('says who holds the lock while another clear holds it (busyWith), and nothing once it is released', async () => {
    const { root, runs, location } = setUp();
    makeRun(root, RUN);
    const other = await createRunLocks({ hostLabel: 'test-host' }).tryAcquire(location.diskPath);
    expect(await runs.busyWith(location)).toMatchObject({ holder: { holder: { host: 'test-host' } } });
    await other?.release();
    expect(await runs.busyWith(location)).toBeNull();
  });

  it('releases the lock when locked work throws, and the run stays whole', async () => {
    const { root, runs, location } = setUp();
    const dir = makeRun(root, RUN);
    await expect(
      runs.locked(location, async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await runs.busyWith(location)).toBeNull();
    expect(fs.existsSync(path.join(dir, '.exlab-wizard', 'ingest.json'))).toBe(true);
  });

  it('refuses to be used once its work has ended, rather than reach a closed descriptor', async () => {
    const { root, runs, location } = setUp();
    makeRun(root, RUN);
    const kept = await runs.opened(location, async (run) => run);
    if (kept === GONE) throw new Error('the run is there');
    await expect(kept.readIngest()).rejects.toThrow('used after its descriptors were closed');
    await expect(kept.survey(null)).rejects.toThrow('used after its descriptors were closed');
  });

  it('reads, appends to and removes a locked run through its descriptor, then releases the lock', async () => {
    const { root, runs, location } = setUp();
    const dir = makeRun(root, RUN);
    const result = await runs.locked(location, async (run) => {
      const ingest = await run.readIngest();
      if (!ingest) throw new Error('no ingest.json');
      const size = await run.appendTransition(ingest.record, { state: 'cleared', at: '2026-04-20T12:00:00Z', host: 'h', actor: 'a' });
      expect(size).toBe(fs.statSync(path.join(dir, '.exlab-wizard', 'ingest.json')).size);
      expect(readIngestJson(dir)).toMatchObject({ current_state: 'cleared' });
      const survey = await run.survey(null);
      return run.remove(survey, null, () => undefined);
    });
    expect(result).toMatchObject({ leftCount: 0, stopped: false });
    expect(fs.existsSync(dir)).toBe(false);
    expect(await runs.busyWith(location)).toBeNull();
  });

  itAsRoot('refuses an undeletable run with staging_permission_denied before it takes the lock', async () => {
    const { root, runs, location } = setUp();
    const dir = makeRun(root, RUN);
    await withImmutable([dir], async () => {
      await expect(runs.locked(location, async () => 'cleared')).rejects.toMatchObject({
        code: 'staging_permission_denied',
        details: { path: dir, error_code: 'EPERM' },
      });
    });
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['Run_1']);
  });
});
