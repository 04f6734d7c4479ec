// The cleanup service: the one place that combines the rules (domain) with
// the disk (storage). Every answer and refusal of DESIGN §3-§5 starts here.
import pino, { type Logger } from 'pino';
import type { ClearRecord } from '../domain/clearRecord.ts';
import { CleanupError, isCleanupError, toErrorBody, type OutcomeErrorCode } from '../domain/errors.ts';
import type { LifecycleState } from '../domain/lifecycle.ts';
import { decide, VERIFICATION_REFUSALS, type Decision, type PolicySettings } from '../domain/policy.ts';
import type { RunKind } from '../domain/ingestSchema.ts';
import { resolveRunPath, type RunLocation } from '../domain/runPath.ts';
import { DEFAULT_INGEST_MAX_BYTES } from '../storage/ingestStore.ts';
import { createJournal, type Journal } from '../storage/journal.ts';
import { reclaimDeadLocks } from '../storage/lockRecovery.ts';
import { openRun } from '../storage/runDirectory.ts';
import { createRunLocks, type RunLocks } from '../storage/runLock.ts';
import { createStagingRootGuard } from '../storage/stagingRootGuard.ts';
import { createTreeRunner, defaultParallelism } from '../storage/treeRunner.ts';
import { createTreeWorkerPool, type TreeWorkerPool } from '../storage/treeWorkerPool.ts';
import type {
  ClearAnswer,
  ClearRequestOptions,
  EligibilityAnswer,
  RunDetail,
  RunListing,
  RunResult,
} from './answers.ts';
import { asPolicyRefusal, DEFAULT_VERIFICATION, PreClearCheck, surveyRefusal, type VerificationSettings } from './preClearCheck.ts';
import { RunCatalog, type Catalog, type CatalogEntry } from './runCatalog.ts';
import { RunClearer } from './runClearer.ts';
import { buildRunRow, compareRows } from './runRow.ts';
import { ServiceEvents } from './serviceEvents.ts';

export interface CleanupServiceOptions {
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
}

export interface RunFilter {
  state?: LifecycleState;
  eligible?: boolean;
  equipment_id?: string;
  run_kind?: RunKind;
}

export type ClearSetRequest = { run_paths: string[] } | { all_verified: true };

export interface HealthCheck {
  ok: boolean;
  message: string;
}

export interface HealthReport {
  ready: boolean;
  checks: { staging_root: HealthCheck; journal: HealthCheck };
}

// Refusals that leave a run for later rather than count as a failed clear.
const SKIPPED_BY_SWEEP = new Set<OutcomeErrorCode>([...VERIFICATION_REFUSALS, 'clear_in_progress']);

function runNotFound(location: RunLocation, why: string): CleanupError {
  return new CleanupError('run_not_found', { runPath: location.runPath, why });
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

export type CleanupService = ReturnType<typeof createCleanupService>;

export function createCleanupService(options: CleanupServiceOptions) {
  const logger = options.logger ?? pino({ level: 'silent' });
  const clock = options.clock ?? (() => new Date());
  const stagingRoot = options.stagingRoot;
  const events = new ServiceEvents();
  const pool: TreeWorkerPool = options.pool ?? createTreeWorkerPool();
  const journal: Journal = createJournal(options.journalDir, options.hostLabel);
  const runner = createTreeRunner(pool, options.parallelism);
  const check = new PreClearCheck(runner, options.verification ?? DEFAULT_VERIFICATION);
  const ingestMaxBytes = options.ingestMaxBytes ?? DEFAULT_INGEST_MAX_BYTES;
  const catalog = new RunCatalog(stagingRoot, runner, (view) => check.rulesFor(view), ingestMaxBytes);
  const locks = options.locks ?? createRunLocks({ hostLabel: options.hostLabel, logger });
  const clearer = new RunClearer({
    stagingRoot,
    hostLabel: options.hostLabel,
    locks,
    journal,
    runner,
    events,
    logger,
    clock,
    check,
    ingestMaxBytes,
  });
  const rootGuard = createStagingRootGuard(stagingRoot);
  // Notes at start whether the root is a mount point, to tell later if it went.
  void rootGuard.problem();
  const scan = async (): Promise<Catalog> => {
    await rootGuard.ensureAvailable();
    return catalog.scan();
  };
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;
  let sweeping = false;

  // From the listing's walk: only the local check, as far as it already knows.
  const decideFor = (entry: CatalogEntry, now: Date): Decision => {
    const refusal = entry.measure ? surveyRefusal(entry.location.runPath, entry.measure) : null;
    return decide(entry.record.view, options.policy, now, asPolicyRefusal(refusal));
  };

  // For one run: every pre-clear check that is configured, NAS included.
  const decideFully = async (entry: CatalogEntry, now: Date): Promise<Decision> => {
    const { view } = entry.record;
    const refusal = view.current_state === 'sync_verified' ? await inspectionRefusal(entry.location, view) : null;
    return decide(view, options.policy, now, asPolicyRefusal(refusal));
  };

  const inspectionRefusal = async (location: RunLocation, view: CatalogEntry['record']['view']): Promise<CleanupError | null> => {
    const opened = await openRun(stagingRoot, location);
    if (opened === 'missing') throw runNotFound(location, '');
    try {
      return (await check.inspect(location, opened.run.fd, view)).refusal;
    } finally {
      await opened.close();
    }
  };

  const track = <T>(work: () => Promise<T>): Promise<T> => {
    if (closing) {
      return Promise.reject(
        new CleanupError('shutting_down'),
      );
    }
    const promise = work();
    inFlight.add(promise);
    void promise.then(
      () => inFlight.delete(promise),
      () => inFlight.delete(promise),
    );
    return promise;
  };

  // One run of a set or sweep: its answer, or its refusal, never a throw.
  const clearForResult = async (requested: string, request: ClearRequestOptions): Promise<RunResult> => {
    try {
      return await clearRun(requested, request);
    } catch (error) {
      if (!isCleanupError(error)) {
        (request.logger ?? logger).error({ err: error, run_path: requested }, 'unexpected error while clearing a run');
      }
      const { code, message } = toErrorBody(error);
      return { run_path: requested, error: { code, message } };
    }
  };

  const clearRun = (requested: string, request: ClearRequestOptions): Promise<ClearAnswer> =>
    track(async () => {
      await rootGuard.ensureAvailable();
      return clearer.clear(requested, request);
    });

  const clearMany = async (runPaths: string[], request: ClearRequestOptions): Promise<RunResult[]> => {
    const results: RunResult[] = [];
    for (const runPath of runPaths) results.push(await clearForResult(runPath, request));
    return results;
  };

  const locate = async (requested: string): Promise<{ location: RunLocation; entry: CatalogEntry }> => {
    const location = resolveRunPath(requested, stagingRoot);
    await rootGuard.ensureAvailable();
    // A link or a file on the way is an invalid run path; a gap, not found.
    const opened = await openRun(stagingRoot, location);
    if (opened === 'missing') throw runNotFound(location, '');
    await opened.close();
    const entry = await catalog.one(location);
    if (!entry) throw runNotFound(location, ' (the folder has no .exlab-wizard/ingest.json yet)');
    return { location, entry };
  };

  return {
    events,

    async listRuns(filter: RunFilter = {}): Promise<RunListing> {
      const { entries, problems } = await scan();
      const now = clock();
      const runs = entries
        .map((entry) => buildRunRow(entry, decideFor(entry, now), now))
        .filter(
          (row) =>
            (filter.state === undefined || row.current_state === filter.state) &&
            (filter.eligible === undefined || row.auto_clear_eligible === filter.eligible) &&
            (filter.equipment_id === undefined || row.equipment_id === filter.equipment_id) &&
            (filter.run_kind === undefined || row.run_kind === filter.run_kind),
        )
        .sort(compareRows);
      return {
        runs,
        problems: problems.map((problem) => ({
          path: problem.location.absolutePath,
          run_path: problem.location.runPath,
          code: problem.code,
          message: problem.message,
        })),
      };
    },

    async getRun(requested: string): Promise<RunDetail> {
      const { entry } = await locate(requested);
      const now = clock();
      const decision = await decideFully(entry, now);
      const { view } = entry.record;
      return {
        ...buildRunRow(entry, decision, now),
        nas_path: view.history.findLast((item) => item.state === 'sync_verified')?.nas_path ?? null,
        history: view.history,
        eligibility: decision,
      };
    },

    async eligibility(requested: string): Promise<EligibilityAnswer> {
      const { location, entry } = await locate(requested);
      return {
        run_path: location.runPath,
        current_state: entry.record.view.current_state,
        ...(await decideFully(entry, clock())),
      };
    },

    clearRun,

    async clearSet(request: ClearSetRequest, clearOptions: ClearRequestOptions): Promise<RunResult[]> {
      const runPaths =
        'all_verified' in request
          ? (await scan()).entries
              .filter((entry) => ['sync_verified', 'cleared'].includes(entry.record.view.current_state))
              .map((entry) => entry.location.runPath)
          : [...new Set(request.run_paths)];
      clearOptions.onRunsChosen?.(runPaths);
      return clearMany(runPaths, clearOptions);
    },

    // The run path a request names, or invalid_run_path (nothing on disk is read).
    normalizeRunPath(requested: string): string {
      return resolveRunPath(requested, stagingRoot).runPath;
    },

    // The files a run holds, from the cached scan, when known.
    knownFileCount: (runPath: string): number | null => catalog.knownFileCount(runPath),

    // Clears every auto-eligible run, and finishes clears that were
    // interrupted, in scheduled mode; nothing at all in manual mode.
    async sweep(clearOptions: ClearRequestOptions): Promise<RunResult[]> {
      if (sweeping) {
        throw new CleanupError('sweep_in_progress');
      }
      sweeping = true;
      const started = performance.now();
      try {
        const { entries } = await scan();
        const now = clock();
        // Due by mode and window; the clear itself then runs every pre-clear
        // check, so a run that fails one is skipped, logged and counted.
        const due = entries.filter(
          (entry) =>
            decide(entry.record.view, options.policy, now).auto_clear_eligible ||
            (options.policy.mode === 'scheduled' && entry.record.view.current_state === 'cleared'),
        );
        const runPaths = due.map((entry) => entry.location.runPath);
        clearOptions.onRunsChosen?.(runPaths);
        const results = await clearMany(runPaths, clearOptions);
        const refusals = results.flatMap((result) => ('error' in result ? [result.error.code] : []));
        const skippedCodes = refusals.filter((code) => SKIPPED_BY_SWEEP.has(code));
        const summary = {
          cleared: results.length - refusals.length,
          skipped: skippedCodes.length,
          failed: refusals.length - skippedCodes.length,
          duration_ms: Math.round(performance.now() - started),
          skipped_by_reason: countBy(skippedCodes),
        };
        const log = clearOptions.logger ?? logger;
        for (const result of results) {
          if ('error' in result) log.warn({ run_path: result.run_path, ...result.error }, 'sweep did not clear a run');
        }
        log.info({ ...summary, dry_run: clearOptions.dryRun === true, actor: clearOptions.actor }, 'sweep finished');
        events.emit('sweep_done', summary);
        return results;
      } finally {
        sweeping = false;
      }
    },

    async listClears(query: { since?: Date; limit?: number } = {}): Promise<ClearRecord[]> {
      const records = await journal.readAll();
      const since = query.since?.getTime();
      const recent = since === undefined ? records : records.filter((r) => Date.parse(r.cleared_at) >= since);
      return recent.slice(0, query.limit ?? 100);
    },

    async health(): Promise<HealthReport> {
      const rootProblem = await rootGuard.problem();
      const stagingCheck = { ok: rootProblem === null, message: rootProblem ?? `${stagingRoot} is readable` };
      const journalCheck = await journal.openWriter().then(
        async (writer) => {
          await writer.close();
          return { ok: true, message: `${journal.file} is writable` };
        },
        (error: Error) => ({ ok: false, message: error.message }),
      );
      return {
        ready: stagingCheck.ok && journalCheck.ok,
        checks: { staging_root: stagingCheck, journal: journalCheck },
      };
    },

    // At start: removes the run locks this host's earlier processes left
    // behind, so that their interrupted clears resume without waiting.
    reclaimDeadLocks: (): Promise<number> => reclaimDeadLocks(stagingRoot, locks),

    // Starts the tree workers ahead of the first request that needs them.
    warm: () => pool.warm(options.parallelism ?? defaultParallelism()),

    // Stops taking clears, lets running ones finish for up to `graceMs`, and
    // stops the tree workers; a clear cut short stays resumable.
    async close(graceMs = 10_000): Promise<void> {
      closing = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (!options.pool) await pool.close();
    },
  };
}
