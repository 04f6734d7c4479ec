// How long the run locks of this process have been held (for the metrics).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunLocks } from '../../src/storage/runLock.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function runDirs(count: number): string[] {
  const base = makeTempDir();
  dirs.push(base);
  return Array.from({ length: count }, (_, index) => {
    const runDir = path.join(base, `Run_${index}`);
    fs.mkdirSync(runDir);
    return runDir;
  });
}

describe('oldestHeldSince', () => {
  it('is when the longest-held lock of this process was taken, and null once all are released', async () => {
    const [first = '', second = ''] = runDirs(2);
    const locks = createRunLocks({ hostLabel: 'test-host' });
    expect(locks.oldestHeldSince()).toBeNull();
    const before = Date.now();
    const one = await locks.tryAcquire(first);
    const oldest = locks.oldestHeldSince();
    expect(oldest).toBeGreaterThanOrEqual(before);
    expect(oldest).toBeLessThanOrEqual(Date.now());
    const two = await locks.tryAcquire(second);
    expect(locks.oldestHeldSince()).toBe(oldest);
    await one?.release();
    expect(locks.oldestHeldSince()).toBeGreaterThanOrEqual(oldest ?? 0);
    await two?.release();
    expect(locks.oldestHeldSince()).toBeNull();
  });

  it('counts no lock that another clear of the run already holds', async () => {
    const [runDir = ''] = runDirs(1);
    const locks = createRunLocks({ hostLabel: 'test-host' });
    const held = await locks.tryAcquire(runDir);
    const since = locks.oldestHeldSince();
    expect(await locks.tryAcquire(runDir)).toBeNull();
    expect(locks.oldestHeldSince()).toBe(since);
    await held?.release();
    expect(locks.oldestHeldSince()).toBeNull();
  });
});
