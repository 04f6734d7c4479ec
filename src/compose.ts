// The composition root (Boot): the one place that turns the configuration
// into a running program and builds every part of it: storage (tree workers,
// run locks, the journal, staged runs), the service's parts (queries, clears,
// capacity and pressure, lifecycle), jobs, metrics, the free-space sampler
// and, in scheduled mode or with a pressure policy, the sweep scheduler.
// Tests build their program here too, with their own clock, logger or pool.
// The HTTP layer receives the parts it serves and builds nothing but the app.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AppConfig } from './config/schema.ts';
import type { PolicySettings } from './domain/policy.ts';
import type { PressureSettings } from './domain/pressurePlan.ts';
import { repeatEvery } from './lib/repeating.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createAsyncClears, type AsyncClears } from './service/asyncClears.ts';
import { createCapacity, type Capacity } from './service/capacity.ts';
import { createClears, type Clears } from './service/clears.ts';
import { cachedHealth } from './service/healthCache.ts';
import { JobRegistry } from './service/jobs.ts';
import { RUN_PERMISSIONS_NOT_YET, runPermissionsCheck } from './service/runPermissions.ts';
import { createLifecycle, type HealthSource, type Lifecycle } from './service/lifecycle.ts';
import { PreClearCheck } from './service/preClearCheck.ts';
import { createPressureSweep, type PressureSweep } from './service/pressureSweep.ts';
import { RunCatalog } from './service/runCatalog.ts';
import { RunClearer } from './service/runClearer.ts';
import { createRunQueries, type RunQueries } from './service/runQueries.ts';
import { createStagingIndex } from './service/stagingIndex.ts';
import { ServiceEvents } from './service/serviceEvents.ts';
import { startSweepScheduler } from './service/sweepScheduler.ts';
import { createJournal } from './storage/journal.ts';
import { createRunLocks, type RunLocks } from './storage/runLock.ts';
import { createStagedRuns } from './storage/stagedRun.ts';
import { createStagingRootGuard } from './storage/stagingRootGuard.ts';
import { createVerificationSightings } from './storage/verificationSightings.ts';
import { createVolumeSamples } from './storage/volumeSamples.ts';
import { createTreeRunner, defaultParallelism } from './storage/engine/treeRunner.ts';
import { createTreeWorkerPool, type TreeWorkerPool } from './storage/engine/treeWorkerPool.ts';

// How often the free space of the staging volume is sampled (the fill rate).
const VOLUME_SAMPLE_MS = 5 * 60_000;

// What a caller (main.ts, a script, a test) may bring instead of the program's own.
interface ComposeDeps {
  logger?: Logger;
  clock?: () => Date;
  // Tree workers shared with others (tests: starting workers under tsx is slow).
  pool?: TreeWorkerPool;
  // Run locks with other settings (tests of lock takeover).
  locks?: RunLocks;
}

// Everything the program runs. The HTTP layer serves the parts; main.ts
// starts and stops the whole.
export interface Program {
  policy: PolicySettings;
  events: ServiceEvents;
  runs: RunQueries;
  // One run cleared (clearer), and sets of runs and the sweep (clears).
  clearer: RunClearer;
  clears: Clears;
  capacity: Capacity;
  // The disk-pressure policy (null: none) and its sweep.
  pressure: PressureSettings | null;
  relievePressure: PressureSweep;
  health: HealthSource;
  lifecycle: Lifecycle;
  locks: RunLocks;
  jobs: AsyncClears;
  metrics: Registry;
  // Stops the sweeps and the sampler, lets running clears finish for up to
  // `graceMs` and stops the tree workers (its own, not a pool it was given);
  // a clear cut short stays resumable.
  close(graceMs?: number): Promise<void>;
}

function policyOf(config: AppConfig): PolicySettings {
  return {
    mode: config.staging_cleanup.mode,
    retainHours: config.staging_cleanup.retain_hours,
    clockToleranceSeconds: config.verify_before_clear.mtime_tolerance_seconds,
  };
}

function pressureOf(config: AppConfig): PressureSettings | null {
  const { high_water_percent: highWaterPercent, target_percent: targetPercent, min_retain_hours: minRetainHours } =
    config.pressure;
  return highWaterPercent === undefined || targetPercent === undefined
    ? null
    : { highWaterPercent, targetPercent, minRetainHours };
}

export function compose(config: AppConfig, deps: ComposeDeps = {}): Program {
  const { staging_root: stagingRoot, journal_dir: journalDir, host_label: hostLabel } = config;
  const logger = deps.logger ?? createLogger(config.log_level, hostLabel);
  const clock = deps.clock ?? (() => new Date());
  const policy = policyOf(config);
  const pressure = pressureOf(config);

  // Storage.
  const parallelism = defaultParallelism();
  // A clear's shares take `parallelism` workers; one more serves listings
  // and checks meanwhile. Each worker is an isolate of its own (about 13 MiB
  // idle, more under load), so no more than that.
  const pool = deps.pool ?? createTreeWorkerPool(parallelism + 1);
  const runner = createTreeRunner(pool, parallelism);
  const locks = deps.locks ?? createRunLocks({ staleMs: config.lock_stale_seconds * 1000, hostLabel, logger });
  // Pins the root's device and inode now: the folder the service starts on.
  const rootGuard = createStagingRootGuard(stagingRoot);
  const runs = createStagedRuns({ root: rootGuard, locks, runner, ingestMaxBytes: config.ingest_max_bytes });
  const journal = createJournal(journalDir, hostLabel, {
    retention: { rotateBytes: config.journal.rotate_kib * 1024, keepRotated: config.journal.keep_rotated },
    clock,
    onRotated: ({ rotatedTo, deleted }) =>
      logger.info({ journal_file: rotatedTo, deleted }, 'journal file set aside; the oldest set-aside files beyond the kept number deleted'),
  });
  const sightings = createVerificationSightings(journalDir, hostLabel);

  // The service's parts.
  const events = new ServiceEvents();
  const check = new PreClearCheck(
    {
      localManifest: config.verify_before_clear.local_manifest,
      mtimeToleranceSeconds: config.verify_before_clear.mtime_tolerance_seconds,
      nas: config.verify_before_clear.nas,
      nasMounts: config.nas_mounts,
    },
    clock,
    sightings,
  );
  const catalog = new RunCatalog(rootGuard, runner, runs, (runPath, view) => check.rulesFor(runPath, view));
  const index = createStagingIndex(
    { root: rootGuard, catalog, runs },
    { notifications: config.index.notifications, maxWatches: config.index.max_watches },
  );
  events.on('clear_done', ({ run_path }) => index.reread(run_path));
  const queries = createRunQueries({ stagingRoot, policy, catalog, index, runs, check, journal, rootGuard, clock });
  const capacity = createCapacity({
    root: rootGuard,
    policy,
    pressure,
    decided: queries.decided,
    samples: createVolumeSamples(journalDir, hostLabel),
    logger,
    clock,
  });
  const lifecycle = createLifecycle({
    stagingRoot,
    journal,
    locks,
    rootGuard,
    pool,
    parallelism,
    volumeCheck: capacity.check,
    runPermissionsCheck: () => (index.built() ? runPermissionsCheck(queries.decided()) : Promise.resolve(RUN_PERMISSIONS_NOT_YET)),
    index,
  });
  const clearer = new RunClearer({ stagingRoot, hostLabel, policy, runs, journal, rootGuard, lifecycle, events, logger, clock, check });
  const rootAvailable = (): Promise<void> => rootGuard.ensureAvailable();
  const clears = createClears({ stagingRoot, clearer, rootAvailable, entries: queries.entries, policy, events, clock, logger });
  const relievePressure = createPressureSweep({ settings: pressure, capacity, decided: queries.decided, clears, logger });
  const health = cachedHealth(lifecycle.health);

  // Jobs, metrics and the timers.
  const registry = new JobRegistry(clock, (runPath) => queries.knownFileCount(runPath), logger, {
    maxPending: config.jobs.max_pending,
    concurrency: config.jobs.concurrency,
  });
  const jobs = createAsyncClears(queries, clearer, clears, registry);
  const metrics = createMetrics({ runs: queries, events, capacity, pressure, health, locks, jobs });
  const sweeps = { policy: policy.mode === 'scheduled', pressure: pressure !== null };
  const scheduler =
    sweeps.policy || sweeps.pressure
      ? startSweepScheduler({ clears, relievePressure, recovered: lifecycle.reclaimDeadLocks }, config.sweep_interval_seconds * 1000, logger, sweeps)
      : null;
  const sampler = repeatEvery(VOLUME_SAMPLE_MS, () =>
    capacity.sample().catch((error: unknown) => logger.warn({ err: error }, 'staging volume not sampled')),
  );

  return {
    policy,
    events,
    runs: queries,
    clearer,
    clears,
    capacity,
    pressure,
    relievePressure,
    health,
    lifecycle,
    locks,
    jobs,
    metrics,
    async close(graceMs) {
      await Promise.all([scheduler?.stop(), sampler.stop()]);
      await lifecycle.close(graceMs);
      index.close();
      if (!deps.pool) await pool.close();
    },
  };
}
