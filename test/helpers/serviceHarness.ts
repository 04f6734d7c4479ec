// A cleanup service on a fresh temporary staging root, closed after the test.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';
import type { PolicySettings } from '../../src/domain/policy.ts';
import { createCleanupService, type CleanupService } from '../../src/service/cleanupService.ts';
import { DEFAULT_VERIFICATION, type VerificationSettings } from '../../src/service/preClearCheck.ts';
import type { RunLocks } from '../../src/storage/runLock.ts';
import { createTreeWorkerPool } from '../../src/storage/engine/treeWorkerPool.ts';
import { readJournal } from './journal.ts';
import { makeTempDir } from './stagingTree.ts';

export interface Harness {
  root: string;
  journalDir: string;
  service: CleanupService;
  now: { value: Date };
}

const open: Array<{ service: CleanupService; base: string }> = [];
// One pool of tree workers per test file: starting workers under tsx is slow.
const pool = createTreeWorkerPool();

afterEach(async () => {
  for (const { service, base } of open.splice(0)) {
    await service.close(1000);
    fs.rmSync(base, { recursive: true, force: true });
  }
});
afterAll(() => pool.close());

export interface HarnessOptions {
  policy?: Partial<PolicySettings>;
  verification?: Partial<VerificationSettings>;
  locks?: RunLocks;
}

export function createHarness(options: HarnessOptions = {}): Harness {
  const base = makeTempDir();
  const root = path.join(base, 'staging');
  const journalDir = path.join(base, 'journal');
  fs.mkdirSync(root);
  const now = { value: new Date('2026-04-20T12:00:00Z') };
  const service = createCleanupService({
    stagingRoot: root,
    journalDir,
    hostLabel: 'test-host',
    policy: { mode: 'manual', retainHours: 24, clockToleranceSeconds: 300, ...options.policy },
    clock: () => now.value,
    pool,
    verification: { ...DEFAULT_VERIFICATION, ...options.verification },
    ...(options.locks ? { locks: options.locks } : {}),
  });
  open.push({ service, base });
  return { root, journalDir, service, now };
}

export function journalLines(harness: Pick<Harness, 'journalDir'>): Array<Record<string, unknown>> {
  return readJournal(harness.journalDir);
}
