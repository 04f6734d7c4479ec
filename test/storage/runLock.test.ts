import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRunLocks, lockPathOf } from '../../src/storage/runLock.ts';
import { processStartId } from '../../src/storage/runLockHolder.ts';
import { startLockHolder, type LockProcess } from '../helpers/lockProcess.ts';
import { plantLock } from '../helpers/plantedLock.ts';
import { listTree, makeRun, makeTempDir } from '../helpers/stagingTree.ts';

let base: string;
let run: string;
beforeEach(() => {
  base = makeTempDir();
  run = makeRun(base, 'EQ/P/Runs/Run_1');
});
const holders: LockProcess[] = [];
afterEach(async () => {
  for (const holder of holders.splice(0)) await holder.kill();
  fs.rmSync(base, { recursive: true, force: true });
});

// Long enough that nothing in these tests goes stale by time.
const LONG_STALE_MS = 600_000;

function holder(hostLabel: string, options: { waitForGo?: boolean } = {}): LockProcess {
  const started = startLockHolder(run, LONG_STALE_MS, hostLabel, options);
  holders.push(started);
  return started;
}

describe('run lock', () => {
  it('makes and removes its folder through the parent descriptor: a parent swapped for a link meanwhile gets nothing', async () => {
    const runs = path.dirname(run);
    const parentFd = fs.openSync(runs, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    const canary = path.join(base, 'canary');
    fs.mkdirSync(canary);
    try {
      const lock = await createRunLocks({ staleMs: LONG_STALE_MS }).tryAcquire(run, parentFd);
      expect(fs.existsSync(lockPathOf(run))).toBe(true);
      fs.renameSync(runs, `${runs}.real`);
      fs.symlinkSync(canary, runs);
      await lock?.release();
      expect(fs.readdirSync(canary)).toEqual([]);
      expect(fs.readdirSync(`${runs}.real`)).toEqual(['Run_1']);
    } finally {
      fs.closeSync(parentFd);
      if (fs.lstatSync(runs).isSymbolicLink()) {
        fs.unlinkSync(runs);
        fs.renameSync(`${runs}.real`, runs);
      }
    }
  });

  it('lives beside the run as a hidden folder, outside the run tree and apart from the Wizard lock', async () => {
    fs.writeFileSync(path.join(run, '.exlab-wizard/ingest.json.lock'), '');
    const before = listTree(run);
    const lock = await createRunLocks().tryAcquire(run);
    expect(lockPathOf(run)).toBe(path.join(base, 'EQ/P/Runs/.Run_1.staging-cleanup.lock'));
    expect(fs.statSync(lockPathOf(run)).isDirectory()).toBe(true);
    expect(listTree(run)).toEqual(before);
    await lock?.release();
    expect(fs.existsSync(lockPathOf(run))).toBe(false);
  });

  it('is held once within a process: a second acquire is refused until release', async () => {
    const locks = createRunLocks();
    const first = await locks.tryAcquire(run);
    expect(first).not.toBeNull();
    expect(await locks.tryAcquire(run)).toBeNull();
    await first?.release();
    const again = await locks.tryAcquire(run);
    expect(again).not.toBeNull();
    await again?.release();
  });

  it('is refused while another holder (another process) keeps the lock fresh', async () => {
    const holder = createRunLocks();
    const other = createRunLocks();
    const held = await holder.tryAcquire(run);
    expect(await other.tryAcquire(run)).toBeNull();
    await held?.release();
  });

  it('takes over a lock left stale by a holder that died, but never a fresh one', async () => {
    fs.mkdirSync(lockPathOf(run));
    const locks = createRunLocks({ staleMs: 5000 });
    expect(await locks.tryAcquire(run)).toBeNull();
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPathOf(run), old, old);
    const lock = await locks.tryAcquire(run);
    expect(lock).not.toBeNull();
    await lock?.release();
  });
});

describe('run lock holders', () => {
  it('records its holder (host label, pid, process start id, time taken) in the lock folder; release removes both', async () => {
    const before = Date.now();
    const lock = await createRunLocks({ hostLabel: 'orch-1' }).tryAcquire(run);
    const recorded = JSON.parse(fs.readFileSync(path.join(lockPathOf(run), 'holder.json'), 'utf8'));
    expect(recorded).toMatchObject({ host: 'orch-1', pid: process.pid, start_id: processStartId(process.pid) });
    expect(Date.parse(recorded.acquired_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(fs.readdirSync(lockPathOf(run))).toEqual(['holder.json']);
    await lock?.release();
    expect(fs.existsSync(lockPathOf(run))).toBe(false);
  });

  it('takes over at once, and logs, the lock of a process of this host that was killed', async () => {
    const killed = holder('orch-1');
    await killed.said('locked');
    await killed.kill();
    const warn = vi.fn();
    const lock = await createRunLocks({ hostLabel: 'orch-1', staleMs: LONG_STALE_MS, logger: { warn } }).tryAcquire(run);
    expect(lock).not.toBeNull();
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ lock: lockPathOf(run), holder_host: 'orch-1', holder_pid: killed.child.pid }),
      expect.stringContaining('lock takeover'),
    );
    expect(JSON.parse(fs.readFileSync(path.join(lockPathOf(run), 'holder.json'), 'utf8')).pid).toBe(process.pid);
    await lock?.release();
  });

  it('takes over at once a lock of this host whose pid now belongs to another process', async () => {
    const other = spawn('sleep', ['30']);
    try {
      plantLock(run, { host: 'orch-1', pid: other.pid ?? 0, start_id: 'another-boot:12345' });
      const lock = await createRunLocks({ hostLabel: 'orch-1', staleMs: LONG_STALE_MS }).tryAcquire(run);
      expect(lock).not.toBeNull();
      await lock?.release();
      // This process's own pid, recorded by an earlier start of it: gone too.
      plantLock(run, { host: 'orch-1', pid: process.pid, start_id: 'an-earlier-start' });
      const again = await createRunLocks({ hostLabel: 'orch-1', staleMs: LONG_STALE_MS }).tryAcquire(run);
      expect(again).not.toBeNull();
      await again?.release();
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('never takes the lock of a live process of this host, and says it is taken over as soon as that process ends', async () => {
    const live = holder('orch-1');
    await live.said('locked');
    const locks = createRunLocks({ hostLabel: 'orch-1', staleMs: LONG_STALE_MS });
    expect(await locks.tryAcquire(run)).toBeNull();
    expect(await locks.reclaimIfDead(run)).toBe(false);
    expect(await locks.isHeld(run)).toBe(true);
    expect(await locks.statusOf(run)).toMatchObject({ holder: { host: 'orch-1', pid: live.child.pid }, takeoverAt: null });
    live.send('release');
    await live.said('released');
    const lock = await locks.tryAcquire(run);
    expect(lock).not.toBeNull();
    await lock?.release();
  });

  it('respects a fresh lock of another host even when that pid is gone here, and takes it over once stale', async () => {
    plantLock(run, { host: 'orch-2' });
    const locks = createRunLocks({ hostLabel: 'orch-1', staleMs: 5000 });
    expect(await locks.tryAcquire(run)).toBeNull();
    const status = await locks.statusOf(run);
    expect(status?.holder?.host).toBe('orch-2');
    expect(status?.takeoverAt?.getTime()).toBeGreaterThan(Date.now() + 3000);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPathOf(run), old, old);
    const lock = await locks.tryAcquire(run);
    expect(lock).not.toBeNull();
    expect(JSON.parse(fs.readFileSync(path.join(lockPathOf(run), 'holder.json'), 'utf8')).host).toBe('orch-1');
    await lock?.release();
  });

  // Four processes started under tsx: on a busy machine each takes tens of seconds to start.
  it('lets exactly one of four processes of this host racing for a dead holder\'s lock take it over', async () => {
    plantLock(run, { host: 'orch-1' });
    const racers = [0, 1, 2, 3].map(() => holder('orch-1', { waitForGo: true }));
    await Promise.all(racers.map((racer) => racer.said('ready')));
    for (const racer of racers) racer.send('go');
    await Promise.all(racers.map((racer) => Promise.race([racer.said('locked'), racer.said('busy')])));
    const winners = racers.filter((racer) => racer.output().includes('locked'));
    expect(winners).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(path.join(lockPathOf(run), 'holder.json'), 'utf8')).pid).toBe(winners[0]?.child.pid);
  }, 180_000);

  it('takes over at once a lock of this process that it no longer holds: moved away while held, then put back', async () => {
    const locks = createRunLocks({ hostLabel: 'orch-1', staleMs: LONG_STALE_MS });
    const lock = await locks.tryAcquire(run);
    const aside = `${lockPathOf(run)}.aside`;
    fs.renameSync(lockPathOf(run), aside);
    await lock?.release();
    // Not at its name at release: left as it was, holder and all.
    expect(fs.readdirSync(aside)).toEqual(['holder.json']);
    fs.renameSync(aside, lockPathOf(run));
    const again = await locks.tryAcquire(run);
    expect(again).not.toBeNull();
    await again?.release();
    expect(fs.existsSync(lockPathOf(run))).toBe(false);
  });

  it('waits for a fresh takeover claim in a dead lock, and claims within one whose taker died long ago', async () => {
    const lockDir = plantLock(run, { host: 'orch-1' });
    fs.mkdirSync(path.join(lockDir, 'takeover'));
    const locks = createRunLocks({ hostLabel: 'orch-1', staleMs: 5000 });
    expect(await locks.tryAcquire(run)).toBeNull();
    expect(fs.readdirSync(lockDir).sort()).toEqual(['holder.json', 'takeover']);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(lockDir, 'takeover'), old, old);
    const lock = await locks.tryAcquire(run);
    expect(lock).not.toBeNull();
    expect(fs.readdirSync(lockDir)).toEqual(['holder.json']);
    await lock?.release();
  });

  it("lets exactly one of four processes racing for another host's stale lock take it over", async () => {
    plantLock(run, { host: 'orch-2' }, 60_000);
    const racers = [0, 1, 2, 3].map(() => {
      const racer = startLockHolder(run, 5000, 'orch-1', { waitForGo: true });
      holders.push(racer);
      return racer;
    });
    await Promise.all(racers.map((racer) => racer.said('ready')));
    for (const racer of racers) racer.send('go');
    await Promise.all(racers.map((racer) => Promise.race([racer.said('locked'), racer.said('busy')])));
    const winners = racers.filter((racer) => racer.output().includes('locked'));
    expect(winners).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(path.join(lockPathOf(run), 'holder.json'), 'utf8')).pid).toBe(winners[0]?.child.pid);
  }, 180_000);
});
