// A program composed as main.ts composes it (compose.ts), without its HTTP
// app, on a fresh temporary staging root with a clock the test sets; closed
// after the test.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach } from 'vitest';
import { compose, type Program } from '../../src/compose.ts';
import type { RunLocks } from '../../src/storage/runLock.ts';
import { createTreeWorkerPool } from '../../src/storage/engine/treeWorkerPool.ts';
import { harnessConfig, type HarnessOptions } from './harnessConfig.ts';
import { readJournal } from './journal.ts';
import { makeTempDir } from './stagingTree.ts';

export interface Harness {
  root: string;
  journalDir: string;
  // The program under test (its parts: runs, clears, capacity, ...).
  service: Program;
  now: { value: Date };
}

const open: Array<{ service: Program; base: string }> = [];
// One pool of tree workers per test file: starting workers under tsx is slow.
const pool = createTreeWorkerPool();

// Trees of tens of thousands of files to remove: slow on a loaded machine.
afterEach(async () => {
  for (const { service, base } of open.splice(0)) {
    await service.close(1000);
    fs.rmSync(base, { recursive: true, force: true });
  }
}, 120_000);
afterAll(() => pool.close());

// `restartOf`: the program started again on another harness's folders.
export function createHarness(
  options: HarnessOptions & { locks?: RunLocks; restartOf?: Pick<Harness, 'root' | 'journalDir'> } = {},
): Harness {
  const base = options.restartOf ? path.dirname(options.restartOf.root) : makeTempDir();
  const root = path.join(base, 'staging');
  const journalDir = path.join(base, 'journal');
  if (!options.restartOf) fs.mkdirSync(root);
  const now = { value: new Date('2026-04-20T12:00:00Z') };
  const service = compose(harnessConfig(options, root, journalDir), {
    logger: pino({ level: 'silent' }),
    clock: () => now.value,
    pool,
    ...(options.locks ? { locks: options.locks } : {}),
  });
  open.push({ service, base });
  return { root, journalDir, service, now };
}

export function journalLines(harness: Pick<Harness, 'journalDir'>): Array<Record<string, unknown>> {
  return readJournal(harness.journalDir);
}
