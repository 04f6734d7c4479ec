// The composition root (Boot): the one place that turns the configuration
// into a running program. It builds storage (tree workers, run locks), the
// cleanup service, the job registry, metrics, the free-space sampler and, in
// scheduled mode or with a pressure policy, the sweep scheduler. The HTTP layer receives what it serves (the service, the
// jobs, the metrics) and builds nothing but the Fastify app.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppConfig } from './config/schema.ts';
import { repeatEvery } from './lib/repeating.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createAsyncClears, type AsyncClears } from './service/asyncClears.ts';
import { createCleanupService, type CleanupService } from './service/cleanupService.ts';
import { JobRegistry } from './service/jobs.ts';
import { startSweepScheduler } from './service/sweepScheduler.ts';
import type { PressureSettings } from './domain/pressurePlan.ts';
import { createRunLocks } from './storage/runLock.ts';
import { createTreeWorkerPool, type TreeWorkerPool } from './storage/engine/treeWorkerPool.ts';

// How often the free space of the staging volume is sampled (the fill rate).
const VOLUME_SAMPLE_MS = 5 * 60_000;

function pressureOf(config: AppConfig): PressureSettings | null {
  const { high_water_percent: highWaterPercent, target_percent: targetPercent, min_retain_hours: minRetainHours } =
    config.pressure;
  return highWaterPercent === undefined || targetPercent === undefined
    ? null
    : { highWaterPercent, targetPercent, minRetainHours };
}

interface ComposeDeps {
  logger?: Logger;
  clock?: () => Date;
  // A pool of tree workers shared with others (tests); otherwise the program starts its own.
  pool?: TreeWorkerPool;
}

// Everything the program runs; the HTTP layer serves the first three.
export interface Program {
  service: CleanupService;
  jobs: AsyncClears;
  metrics: Registry;
  // Stops the scheduler, lets running clears finish for up to `graceMs` and
  // stops the tree workers; a clear cut short stays resumable.
  close(graceMs?: number): Promise<void>;
}

export function compose(config: AppConfig, deps: ComposeDeps = {}): Program {
  const logger = deps.logger ?? createLogger(config.log_level, config.host_label);
  const clock = deps.clock ?? (() => new Date());
  // The tree workers: shared with others (tests), or the program's own.
  const pool = deps.pool ?? createTreeWorkerPool();
  const service = createCleanupService({
    stagingRoot: config.staging_root,
    journalDir: config.journal_dir,
    hostLabel: config.host_label,
    policy: {
      mode: config.staging_cleanup.mode,
      retainHours: config.staging_cleanup.retain_hours,
      clockToleranceSeconds: config.verify_before_clear.mtime_tolerance_seconds,
    },
    verification: {
      localManifest: config.verify_before_clear.local_manifest,
      mtimeToleranceSeconds: config.verify_before_clear.mtime_tolerance_seconds,
      nas: config.verify_before_clear.nas,
      nasMounts: config.nas_mounts,
    },
    ingestMaxBytes: config.ingest_max_bytes,
    pressure: pressureOf(config),
    journalRetention: { rotateBytes: config.journal.rotate_kib * 1024, keepRotated: config.journal.keep_rotated },
    logger,
    clock,
    locks: createRunLocks({ staleMs: config.lock_stale_seconds * 1000, hostLabel: config.host_label, logger }),
    pool,
  });
  const registry = new JobRegistry(clock, (runPath) => service.knownFileCount(runPath), logger, {
    maxPending: config.jobs.max_pending,
    concurrency: config.jobs.concurrency,
  });
  const jobs = createAsyncClears(service, registry);
  const metrics = createMetrics(service, jobs);
  const sweeps = { policy: config.staging_cleanup.mode === 'scheduled', pressure: service.pressure !== null };
  const scheduler =
    sweeps.policy || sweeps.pressure ? startSweepScheduler(service, config.sweep_interval_seconds * 1000, logger, sweeps) : null;
  const sampler = repeatEvery(
    VOLUME_SAMPLE_MS,
    () => service.sampleVolume().catch((error: unknown) => logger.warn({ err: error }, 'staging volume not sampled')),
  );
  return {
    service,
    jobs,
    metrics,
    async close(graceMs) {
      await Promise.all([scheduler?.stop(), sampler.stop()]);
      await service.close(graceMs);
      if (!deps.pool) await pool.close();
    },
  };
}
