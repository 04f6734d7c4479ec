// A folder swapped for a link mid-clear must not move a single
// deletion outside the run. A racer process (test/helpers/swapRacer.mjs)
// swaps data/, one of its subfolders, .exlab-wizard/ and the run's Runs/
// parent for links to a canary tree of the same names and mtimes while the
// clear deletes; GNU rm -rf under the same racer is the control.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClearAnswer } from '../../src/service/answers.ts';
import { createRunLocks } from '../../src/storage/runLock.ts';
import { buildRun } from '../helpers/bigRun.ts';
import { createHarness, type Harness } from '../helpers/serviceHarness.ts';

const RACER = path.join(import.meta.dirname, '..', 'helpers', 'swapRacer.mjs');
const ROUNDS = 3;
// 40 folders of 500: 20,000 files a round.
const SHAPE = { folders: 40, filesPerFolder: 500, under: 'data' };
const operator = { actor: 'race-test' };

interface Racer {
  stop(): Promise<{ swaps: number }>;
}

// Starts the racer on the run at `runDir`, its canary twin at `canaryRuns`/<run>.
function startRacer(runDir: string, canaryRuns: string, stopFile: string): Racer {
  const canaryRun = path.join(canaryRuns, path.basename(runDir));
  const targets = [
    { path: path.join(runDir, 'data'), canary: path.join(canaryRun, 'data') },
    { path: path.join(runDir, 'data/frames_0007'), canary: path.join(canaryRun, 'data/frames_0007') },
    { path: path.join(runDir, '.exlab-wizard'), canary: path.join(canaryRun, '.exlab-wizard') },
    { path: path.dirname(runDir), canary: canaryRuns },
  ];
  const sentinels = Array.from({ length: SHAPE.folders }, (_, folder) =>
    path.join(runDir, `data/frames_${String(folder).padStart(4, '0')}/f_000000.tif`),
  );
  const child = spawn(process.execPath, [RACER, JSON.stringify({ targets, sentinels, stopFile })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    async stop() {
      fs.writeFileSync(stopFile, '');
      await exited;
      return { swaps: Number(output.trim()) };
    },
  };
}

// Every file of a tree with its bytes and mtime, to prove it untouched.
function snapshot(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const stat = fs.lstatSync(full);
    const content = stat.isFile() ? fs.readFileSync(full).toString('base64') : stat.isDirectory() ? 'dir' : 'other';
    files.set(path.relative(root, full), `${stat.mtimeMs}:${content}`);
  }
  return files;
}

// A run and, outside the staging root, its canary: a copy with the same
// names and mtimes, under a Runs/ folder of its own.
function runWithCanary(root: string, base: string, runPath: string): { runDir: string; canaryRuns: string } {
  const runDir = buildRun(root, runPath, SHAPE);
  const canaryRuns = path.join(base, `canary-${path.basename(runDir)}`, 'Runs');
  fs.mkdirSync(canaryRuns, { recursive: true });
  execFileSync('cp', ['-a', runDir, canaryRuns]);
  return { runDir, canaryRuns };
}

async function clearUntilDone(h: Harness, runPath: string): Promise<ClearAnswer> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await h.service.clearer.clear(runPath, operator);
    } catch (error) {
      // The racer may have left the run lock behind (it lives beside the run,
      // in Runs/); it goes stale after the test's short stale time.
      if ((error as { code?: string }).code !== 'clear_in_progress' || attempt > 40) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe('a folder swapped for a link during a clear', () => {
  it(
    `never deletes outside the run in ${ROUNDS} rounds of 20,000 files, while a retry after the racer finishes the run; rm -rf as the control`,
    // Minutes on a busy 2-core machine: 60,000 files made, raced and cleared.
    { timeout: 600_000 },
    async () => {
      const h = createHarness({ locks: createRunLocks({ staleMs: 2000 }) });
      const base = path.dirname(h.root);
      for (let round = 0; round < ROUNDS; round += 1) {
        const runPath = `EQ/P${round}/Runs/Run_race${round}`;
        const { runDir, canaryRuns } = runWithCanary(h.root, base, runPath);
        // The run was verified at the end of its build (bigRun.ts).
        h.now.value = new Date();
        const before = snapshot(canaryRuns);
        const racer = startRacer(runDir, canaryRuns, path.join(base, `stop-${round}`));
        const first = await h.service.clearer.clear(runPath, operator).then(
          (answer) => answer.outcome,
          (error: { code: string }) => error.code,
        );
        const { swaps } = await racer.stop();
        expect(['cleared', 'clear_incomplete']).toContain(first);
        expect(swaps).toBeGreaterThan(0);
        expect(snapshot(canaryRuns)).toEqual(before);
        const retry = await clearUntilDone(h, runPath);
        expect(['cleared', 'already_cleared']).toContain(retry.outcome);
        expect(fs.existsSync(runDir)).toBe(false);
        expect(snapshot(canaryRuns)).toEqual(before);
        fs.rmSync(path.dirname(canaryRuns), { recursive: true });
      }

      const control = runWithCanary(h.root, base, 'EQ/Control/Runs/Run_rm');
      const controlBefore = snapshot(control.canaryRuns);
      const racer = startRacer(control.runDir, control.canaryRuns, path.join(base, 'stop-control'));
      try {
        execFileSync('rm', ['-rf', control.runDir], { stdio: 'ignore' });
      } catch {
        // rm reports what the racer made it skip; only the canary matters here
      }
      await racer.stop();
      expect(snapshot(control.canaryRuns)).toEqual(controlBefore);
    },
  );
});
