// A file written to while its folder is being deleted must be kept: each
// entry is read afresh on its folder's descriptor just before its unlinkat,
// and one that changed since it was judged stays (changed_during_clear). A
// writer process (test/helpers/appendRacer.mjs) appends to every file of a
// 20,000-file run once, in random order, while the clear deletes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRun } from '../helpers/bigRun.ts';
import { createHarness, type Harness } from '../helpers/serviceHarness.ts';

const RACER = path.join(import.meta.dirname, '..', 'helpers', 'appendRacer.mjs');
const ROUNDS = 3;
// 40 folders of 500: 20,000 files a round.
const SHAPE = { folders: 40, filesPerFolder: 500, under: 'data' };
const operator = { actor: 'race-test' };

interface WriterReport {
  written: string[];
  gone: number;
  intoUnlinked: number;
}

function startWriter(runDir: string, marker: string): Promise<WriterReport> {
  const folders = Array.from({ length: SHAPE.folders }, (_, folder) => path.join(runDir, `data/frames_${String(folder).padStart(4, '0')}`));
  const files = folders.flatMap((folder) => fs.readdirSync(folder).map((name) => path.join(folder, name)));
  const sentinels = folders.map((folder) => path.join(folder, 'f_000000.tif'));
  const job = path.join(path.dirname(runDir), `.writer-${path.basename(runDir)}.json`);
  fs.writeFileSync(job, JSON.stringify({ files, sentinels, marker }));
  const child = spawn(process.execPath, [RACER, job], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(output) as WriterReport) : reject(new Error(`writer exited ${code}`)))),
  );
}

async function clearOutcome(h: Harness, runPath: string): Promise<string> {
  return h.service.clearer.clear(runPath, operator).then(
    (answer) => answer.outcome,
    (error: { code: string }) => error.code,
  );
}

describe('a file appended to while its run is cleared', () => {
  it(
    `is never deleted with its new bytes: ${ROUNDS} rounds of a writer appending to each of 20,000 files once during the clear`,
    { timeout: 300_000 },
    async () => {
      const h = createHarness();
      for (let round = 0; round < ROUNDS; round += 1) {
        const runPath = `EQ/P${round}/Runs/Run_append${round}`;
        const runDir = buildRun(h.root, runPath, SHAPE);
        // The run was verified at the end of its build (bigRun.ts).
        h.now.value = new Date();
        const marker = `|appended in round ${round}`;
        const writer = startWriter(runDir, marker);
        const outcome = await clearOutcome(h, runPath);
        const report = await writer;
        // The writer met the deletion: some files were gone before it came, some it wrote to.
        expect(report.gone).toBeGreaterThan(0);
        expect(report.written.length).toBeGreaterThan(0);
        expect(outcome).toBe('clear_incomplete');
        const lost = report.written.filter((file) => !fs.existsSync(file) || !fs.readFileSync(file, 'utf8').endsWith(marker));
        expect(lost).toEqual([]);
        // Once nothing writes any more, a retry judges what is left again: every kept file is late now.
        expect(await clearOutcome(h, runPath)).toBe('unsynced_files');
        fs.rmSync(path.join(h.root, `EQ/P${round}`), { recursive: true });
      }
    },
  );
});
