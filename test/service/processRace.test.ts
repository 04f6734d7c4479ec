import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal } from '../helpers/journal.ts';
import { makeRun, makeTempDir } from '../helpers/stagingTree.ts';

interface RaceResult {
  run_path: string;
  outcome: string;
  files_freed?: number;
}

let base: string;
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

function startClearer(args: string[]): { ready: Promise<void>; done: Promise<RaceResult[]> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../helpers/raceClearer.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.startsWith('ready\n')) markReady();
  });
  const done = new Promise<RaceResult[]>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`clearer exited with ${code}: ${output}`));
      resolve(JSON.parse(output.split('\n')[1] ?? '[]') as RaceResult[]);
    });
  });
  return { ready, done };
}

describe('two processes racing on the same runs', () => {
  it('clears each run exactly once across both, with one journal record each and no crash', async () => {
    base = makeTempDir();
    const root = path.join(base, 'staging');
    const journalDir = path.join(base, 'journal');
    const files = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`d${i % 4}/f${i}.dat`, 'x'.repeat(i)]));
    const runPaths = Array.from({ length: 12 }, (_, i) => `EQ/P/Runs/Run_${i}`);
    for (const runPath of runPaths) makeRun(root, runPath, { files });
    const goFile = path.join(base, 'go');
    // Opposite orders, so that each process wins some runs and meets the other on the rest.
    const clearers = [
      startClearer([root, journalDir, 'host-a', goFile, ...runPaths]),
      startClearer([root, journalDir, 'host-b', goFile, ...[...runPaths].reverse()]),
    ];
    await Promise.all(clearers.map((c) => c.ready));
    fs.writeFileSync(goFile, '');
    const [a, b] = await Promise.all(clearers.map((c) => c.done));
    const all = [...(a ?? []), ...(b ?? [])];
    expect(all.every((r) => ['cleared', 'already_cleared', 'clear_in_progress'].includes(r.outcome))).toBe(true);
    for (const runPath of runPaths) {
      const cleared = all.filter((r) => r.run_path === runPath && r.outcome === 'cleared');
      expect(cleared, runPath).toHaveLength(1);
    }
    expect(fs.readdirSync(path.join(root, 'EQ/P/Runs'))).toEqual([]);
    const records = readJournal(journalDir) as Array<{ run_path: string; files_freed: number }>;
    expect(records.map((r) => r.run_path).sort()).toEqual([...runPaths].sort());
    const freed = all.filter((r) => r.outcome === 'cleared').reduce((sum, r) => sum + (r.files_freed ?? 0), 0);
    expect(freed).toBe(runPaths.length * (100 + 3));
  }, 30_000);
});
