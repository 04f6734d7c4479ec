// The cleanup service: the one place that combines the rules (domain) with
// the disk (storage). It wires three parts, each a job of its own:
// - runQueries.ts: the listing, one run, its eligibility, the journal;
// - clears.ts: clearing one run, a set, and the sweep (runClearer.ts does one run);
// - lifecycle.ts: work in flight, warm-up, health, start-up lock recovery, close;
// - capacity.ts and pressureSweep.ts: the staging volume, and making room on it.
import pino, { type Logger } from 'pino';
import type { PolicySettings } from '../domain/policy.ts';
import type { PressureSettings } from '../domain/pressurePlan.ts';
import { distinctRunPaths } from '../domain/runPath.ts';
import { DEFAULT_INGEST_MAX_BYTES } from '../storage/ingestStore.ts';
import { createJournal } from '../storage/journal.ts';
import type { JournalRetention } from '../storage/journalRotation.ts';
import { createRunLocks, type RunLocks } from '../storage/runLock.ts';
import { createStagingRootGuard } from '../storage/stagingRootGuard.ts';
import { createVolumeSamples } from '../storage/volumeSamples.ts';
import { createTreeRunner } from '../storage/engine/treeRunner.ts';
import { createTreeWorkerPool, type TreeWorkerPool } from '../storage/engine/treeWorkerPool.ts';
import { createCapacity } from './capacity.ts';
import { createClears } from './clears.ts';
import { cachedHealth } from './healthCache.ts';
import { createLifecycle } from './lifecycle.ts';
import { DEFAULT_VERIFICATION, PreClearCheck, type VerificationSettings } from './preClearCheck.ts';
import { createPressureSweep } from './pressureSweep.ts';
import { RunCatalog } from './runCatalog.ts';
import { RunClearer } from './runClearer.ts';
import { createRunQueries } from './runQueries.ts';
import { ServiceEvents } from './serviceEvents.ts';

interface CleanupServiceOptions {
  stagingRoot: string;
  journalDir: string;
  hostLabel: string;
  policy: PolicySettings;
  logger?: Logger;
  clock?: () => Date;
  locks?: RunLocks;
  verification?: VerificationSettings;
  // A pool shared with others (tests); otherwise the service starts its own.
  pool?: TreeWorkerPool;
  // How many workers share the walk of one run (default: one per core, up to 4).
  parallelism?: number;
  // A larger ingest.json is refused unread (ingest_invalid).
  ingestMaxBytes?: number;
  // The disk-pressure policy; none by default.
  pressure?: PressureSettings | null;
  // When the journal file is set aside, and how many such files are kept.
  journalRetention?: JournalRetention;
}

export type CleanupService = ReturnType<typeof createCleanupService>;

// A capacity answer (or health's volume check) reuses a listing begun this recently.
const SHARED_LISTING_MS = 1000;

export function createCleanupService(options: CleanupServiceOptions) {
  const { stagingRoot, hostLabel, policy } = options;
  const logger = options.logger ?? pino({ level: 'silent' });
  const clock = options.clock ?? (() => new Date());
  const events = new ServiceEvents();
  const pool = options.pool ?? createTreeWorkerPool();
  const journal = createJournal(options.journalDir, hostLabel, {
    ...(options.journalRetention ? { retention: options.journalRetention } : {}),
    clock,
    onRotated: ({ rotatedTo, deleted }) =>
      logger.info({ journal_file: rotatedTo, deleted }, 'journal file set aside; the oldest set-aside files beyond the kept number deleted'),
  });
  const runner = createTreeRunner(pool, options.parallelism);
  const check = new PreClearCheck(runner, options.verification ?? DEFAULT_VERIFICATION, clock);
  const ingestMaxBytes = options.ingestMaxBytes ?? DEFAULT_INGEST_MAX_BYTES;
  const catalog = new RunCatalog(stagingRoot, runner, (view) => check.rulesFor(view), ingestMaxBytes);
  const locks = options.locks ?? createRunLocks({ hostLabel, logger });
  const rootGuard = createStagingRootGuard(stagingRoot);
  // Notes at start whether the root is a mount point, to tell later if it went.
  void rootGuard.problem();

  const queries = createRunQueries({ stagingRoot, policy, catalog, check, journal, rootGuard, clock });
  events.on('run_state', queries.forgetShared);
  events.on('clear_done', queries.forgetShared);
  const capacity = createCapacity({
    stagingRoot,
    policy,
    pressure: options.pressure ?? null,
    // The panel asks for the listing and the capacity together: one walk serves both.
    decided: () => queries.decided(SHARED_LISTING_MS),
    samples: createVolumeSamples(options.journalDir, hostLabel),
    logger,
  });
  const clearer = new RunClearer({
    stagingRoot,
    hostLabel,
    policy,
    locks,
    journal,
    runner,
    events,
    logger,
    clock,
    check,
    ingestMaxBytes,
  });
  const lifecycle = createLifecycle({
    stagingRoot,
    journal,
    locks,
    rootGuard,
    pool,
    ownsPool: !options.pool,
    parallelism: options.parallelism,
    volumeCheck: capacity.check,
  });
  const clears = createClears({
    stagingRoot: stagingRoot,
    clearer,
    lifecycle,
    rootGuard,
    scan: queries.scan,
    policy,
    events,
    clock,
    logger,
  });
  const relievePressure = createPressureSweep({
    settings: options.pressure ?? null,
    capacity,
    decided: () => queries.decided(),
    clears,
    logger,
  });

  return {
    events,
    // How runs are cleared (mode, retain window), for clients that show it.
    policy,
    listRuns: queries.listRuns,
    getRun: queries.getRun,
    eligibility: queries.eligibility,
    listClears: queries.listClears,
    normalizeRunPath: queries.normalizeRunPath,
    // The runs of a set, each once however it was spelled.
    distinctRunPaths: (requested: readonly string[]) => distinctRunPaths(requested, stagingRoot),
    knownFileCount: queries.knownFileCount,
    clearRun: clears.clearRun,
    clearSet: clears.clearSet,
    sweep: clears.sweep,
    // The staging volume: capacity, forecast, fill rate; the pressure sweep.
    pressure: options.pressure ?? null,
    capacity: capacity.answer,
    sampleVolume: () => capacity.sample(clock()),
    relievePressure,
    health: cachedHealth(lifecycle.health),
    reclaimDeadLocks: lifecycle.reclaimDeadLocks,
    // When this process took the run lock it has held longest (epoch ms), or null.
    oldestLockHeldSince: () => locks.oldestHeldSince(),
    warm: lifecycle.warm,
    close: lifecycle.close,
  };
}
