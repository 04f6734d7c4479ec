// A run's lock folder swapped for a link must not move a single write or
// unlink of the lock outside the staging root. A racer process
// (test/helpers/lockSwapRacer.mjs) swaps `.<run>.staging-cleanup.lock` for a
// link to a canary folder outside the root, and plants that link on the free
// name, as fast as it can, while the same run is made and cleared again and
// again through HTTP.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockPathOf } from '../../src/storage/runLock.ts';
import { createAppHarness, type AppHarness } from '../helpers/appHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

const RACER = path.join(import.meta.dirname, '..', 'helpers', 'lockSwapRacer.mjs');
const RUN = 'EQ/P/Runs/Run_swap';
const CLEARS = 150;
// Long enough that no clear of a small run meets a refresh of its lock (one
// moved aside then is lost, and the clear stops: clear_incomplete).
const STALE_SECONDS = 8;

// Every entry of a tree, the tree's own folder included, with its mtime and bytes.
function snapshot(root: string): Map<string, string> {
  const entries = new Map<string, string>([['.', `${fs.lstatSync(root).mtimeMs}:dir`]]);
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const stat = fs.lstatSync(full);
    entries.set(path.relative(root, full), `${stat.mtimeMs}:${stat.isFile() ? fs.readFileSync(full, 'base64') : stat.isDirectory() ? 'dir' : 'other'}`);
  }
  return entries;
}

// A canary holding what a lock holds, so that any write or unlink of a lock
// file in it shows.
function makeCanary(dir: string): void {
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'holder.json'), '{"canary":true}\n');
  fs.writeFileSync(path.join(dir, 'holder.json.tmp'), 'keep me\n');
  fs.writeFileSync(path.join(dir, 'sub', 'data.bin'), Buffer.alloc(512, 7));
  const old = new Date('2026-01-01T00:00:00Z');
  for (const name of ['sub/data.bin', 'holder.json', 'holder.json.tmp', 'sub', '.']) fs.utimesSync(path.join(dir, name), old, old);
}

function startRacer(lock: string, canary: string, stopFile: string) {
  const child = spawn(process.execPath, [RACER, JSON.stringify({ lock, canary, stopFile })], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    async stop(): Promise<{ swaps: number; plants: number }> {
      fs.writeFileSync(stopFile, '');
      await exited;
      return JSON.parse(output) as { swaps: number; plants: number };
    },
  };
}

async function clearOnce(h: AppHarness): Promise<{ status: number; code: string }> {
  const response = await h.app.inject({ method: 'POST', url: `/api/v1/staging/${RUN}/clear` });
  const body = response.json() as { outcome?: string; error?: { code: string } };
  return { status: response.statusCode, code: body.outcome ?? body.error?.code ?? 'none' };
}

describe('a run lock swapped for a link during clears', () => {
  it(
    `never writes or unlinks in the canary the link points to in ${CLEARS} clears, and no clear answers 500`,
    { timeout: 240_000 },
    async () => {
      const h = await createAppHarness({ env: { STAGING_CLEANUP_LOCK_STALE_SECONDS: String(STALE_SECONDS) } });
      const base = path.dirname(h.root);
      const canary = path.join(base, 'canary');
      makeCanary(canary);
      const before = snapshot(canary);
      const runDir = path.join(h.root, RUN);
      // A first clear, without the racer, starts the tree workers: no later clear is slow enough to meet a refresh.
      makeRun(h.root, RUN);
      expect(await clearOnce(h)).toEqual({ status: 200, code: 'cleared' });
      const racer = startRacer(lockPathOf(runDir), canary, path.join(base, 'stop'));
      const answers: Array<{ status: number; code: string }> = [];
      try {
        for (let attempt = 0; attempt < CLEARS; attempt += 1) {
          if (!fs.existsSync(runDir)) makeRun(h.root, RUN);
          answers.push(await clearOnce(h));
        }
      } finally {
        const { swaps, plants } = await racer.stop();
        expect(swaps).toBeGreaterThan(0);
        expect(plants).toBeGreaterThan(0);
      }
      expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
      const codes = new Set(answers.map((answer) => answer.code));
      expect([...codes].filter((code) => !['cleared', 'lock_invalid', 'clear_in_progress'].includes(code))).toEqual([]);
      expect(codes).toContain('cleared');
      expect(snapshot(canary)).toEqual(before);

      // Racer gone: whatever lock it left goes (at once, or once stale) and the run clears.
      if (!fs.existsSync(runDir)) makeRun(h.root, RUN);
      const deadline = Date.now() + (STALE_SECONDS + 5) * 1000;
      let last = await clearOnce(h);
      while (last.code === 'clear_in_progress' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        last = await clearOnce(h);
      }
      expect(last).toEqual({ status: 200, code: 'cleared' });
      expect(fs.existsSync(lockPathOf(runDir))).toBe(false);
      expect(snapshot(canary)).toEqual(before);
    },
  );
});
