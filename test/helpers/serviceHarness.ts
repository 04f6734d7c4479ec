// A program composed as main.ts composes it (compose.ts), without its HTTP
// app, on a fresh temporary staging root with a clock the test sets; closed
// after the test.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach } from 'vitest';
import { compose, type Program } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { AppConfig } from '../../src/config/schema.ts';
import type { PolicySettings } from '../../src/domain/policy.ts';
import type { PressureSettings } from '../../src/domain/pressurePlan.ts';
import type { VerificationSettings } from '../../src/service/preClearCheck.ts';
import type { RunLocks } from '../../src/storage/runLock.ts';
import { createTreeWorkerPool } from '../../src/storage/engine/treeWorkerPool.ts';
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

afterEach(async () => {
  for (const { service, base } of open.splice(0)) {
    await service.close(1000);
    fs.rmSync(base, { recursive: true, force: true });
  }
});
afterAll(() => pool.close());

export interface HarnessOptions {
  policy?: Partial<Pick<PolicySettings, 'mode' | 'retainHours'>>;
  verification?: Partial<VerificationSettings>;
  // Any marks, even ones a user may not set (0: always past the mark).
  pressure?: PressureSettings;
  // Settings as a user gives them (STAGING_CLEANUP_*), applied before the above.
  env?: Record<string, string>;
}

// The configuration the options describe, on the given folders.
export function harnessConfig(options: HarnessOptions, root: string, journalDir: string): AppConfig {
  const { config } = loadConfig({
    env: {
      STAGING_CLEANUP_STAGING_ROOT: root,
      STAGING_CLEANUP_JOURNAL_DIR: journalDir,
      STAGING_CLEANUP_HOST_LABEL: 'test-host',
      ...options.env,
    },
  });
  const { policy = {}, verification = {} } = options;
  return {
    ...config,
    staging_cleanup: {
      mode: policy.mode ?? config.staging_cleanup.mode,
      retain_hours: policy.retainHours ?? config.staging_cleanup.retain_hours,
    },
    verify_before_clear: {
      local_manifest: verification.localManifest ?? config.verify_before_clear.local_manifest,
      mtime_tolerance_seconds: verification.mtimeToleranceSeconds ?? config.verify_before_clear.mtime_tolerance_seconds,
      nas: verification.nas ?? config.verify_before_clear.nas,
    },
    nas_mounts: verification.nasMounts ?? config.nas_mounts,
    ...(options.pressure
      ? {
          pressure: {
            high_water_percent: options.pressure.highWaterPercent,
            target_percent: options.pressure.targetPercent,
            min_retain_hours: options.pressure.minRetainHours,
          },
        }
      : {}),
  };
}

export function createHarness(options: HarnessOptions & { locks?: RunLocks } = {}): Harness {
  const base = makeTempDir();
  const root = path.join(base, 'staging');
  const journalDir = path.join(base, 'journal');
  fs.mkdirSync(root);
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
