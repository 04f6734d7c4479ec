import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reclaimDeadLocks } from '../../src/storage/lockRecovery.ts';
import { createRunLocks, lockPathOf } from '../../src/storage/runLock.ts';
import { plantLock } from '../helpers/plantedLock.ts';
import { makeRun, makeTempDir } from '../helpers/stagingTree.ts';

let base: string;
let root: string;
beforeEach(() => {
  base = makeTempDir();
  root = path.join(base, 'staging');
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

describe('reclaiming dead locks at start', () => {
  it("removes the locks of this host's dead processes only: not live ones, not other hosts', not through links", async () => {
    const dead = makeRun(root, 'EQ/P/Runs/Run_dead');
    const deadTest = makeRun(root, 'EQ/P/TestRuns/TestRun_dead');
    const deadLegacy = makeRun(root, 'EQ/P/Run_legacy');
    const live = makeRun(root, 'EQ/P/Runs/Run_live');
    const otherHost = makeRun(root, 'EQ/P/Runs/Run_other');
    for (const run of [dead, deadTest, deadLegacy]) plantLock(run, { host: 'orch-1' });
    plantLock(otherHost, { host: 'orch-2' });
    const liveLock = await createRunLocks({ hostLabel: 'orch-1' }).tryAcquire(live);
    // An equipment folder that is a link to another tree: never entered.
    const outside = makeRun(path.join(base, 'elsewhere'), 'EQ2/P/Runs/Run_outside');
    plantLock(outside, { host: 'orch-1' });
    fs.symlinkSync(path.join(base, 'elsewhere/EQ2'), path.join(root, 'EQ2'));

    const locks = createRunLocks({ hostLabel: 'orch-1', staleMs: 600_000 });
    expect(await reclaimDeadLocks(root, locks)).toBe(3);
    for (const run of [dead, deadTest, deadLegacy]) expect(fs.existsSync(lockPathOf(run)), run).toBe(false);
    for (const run of [live, otherHost, outside]) expect(fs.existsSync(lockPathOf(run)), run).toBe(true);
    await liveLock?.release();
  });

  it('finds nothing, and fails nothing, under a staging root that is not there', async () => {
    expect(await reclaimDeadLocks(path.join(base, 'missing'), createRunLocks({ hostLabel: 'orch-1' }))).toBe(0);
  });

  it('never takes a dead lock through a link at a lock name, and is not stopped by a lock name that is a file', async () => {
    const linked = makeRun(root, 'EQ/P/Runs/Run_linked');
    const filed = makeRun(root, 'EQ/P/Runs/Run_filed');
    const dead = makeRun(root, 'EQ/P/Runs/Run_dead');
    plantLock(dead, { host: 'orch-1' });
    const outside = makeRun(path.join(base, 'elsewhere'), 'EQ/P/Runs/Run_linked');
    const outsideLock = plantLock(outside, { host: 'orch-1' });
    fs.symlinkSync(outsideLock, lockPathOf(linked));
    fs.writeFileSync(lockPathOf(filed), 'not a lock\n');
    expect(await reclaimDeadLocks(root, createRunLocks({ hostLabel: 'orch-1', staleMs: 600_000 }))).toBe(1);
    expect(fs.existsSync(lockPathOf(dead))).toBe(false);
    expect(fs.readdirSync(outsideLock)).toEqual(['holder.json']);
    expect(fs.lstatSync(lockPathOf(linked)).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(lockPathOf(filed), 'utf8')).toBe('not a lock\n');
  });
});
