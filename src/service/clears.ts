// Clearing many runs: a set, and the sweep of scheduled mode. Each run is
// cleared on its own (runClearer.ts); its refusal becomes its result rather
// than stopping the rest.
import type { Logger } from 'pino';
import { CleanupError, isCleanupError, toErrorBody, type OutcomeErrorCode } from '../domain/errors.ts';
import { isClearableOrResumable } from '../domain/lifecycle.ts';
import { decide, isDistrustReason, DISTRUSTED_RECORDS, PRE_CLEAR_REFUSALS, type PolicySettings } from '../domain/policy.ts';
import { distinctRunPaths } from '../domain/runPath.ts';
import type { RunResult } from './answers.ts';
import type { ClearOptions } from './clearOptions.ts';
import type { CatalogEntry } from './runCatalog.ts';
import type { RunClearer } from './runClearer.ts';
import type { ServiceEvents } from './serviceEvents.ts';

export type ClearSetRequest = { run_paths: string[] } | { all_verified: true };

interface ClearsDeps {
  stagingRoot: string;
  clearer: Pick<RunClearer, 'clear'>;
  // Throws staging_root_unavailable when the root is not the pinned folder.
  rootAvailable: () => Promise<void>;
  entries: () => Promise<CatalogEntry[]>;
  policy: PolicySettings;
  events: ServiceEvents;
  clock: () => Date;
  logger: Logger;
}

export type Clears = ReturnType<typeof createClears>;

// Refusals that leave a run for later rather than count as a failed clear.
const SKIPPED_BY_SWEEP = new Set<OutcomeErrorCode>([...PRE_CLEAR_REFUSALS, ...DISTRUSTED_RECORDS, 'clear_in_progress', 'lock_invalid']);

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

export function createClears(deps: ClearsDeps) {
  let sweeping = false;

  // One sweep (of the policy, or of disk pressure) at a time.
  const exclusively = async <T>(work: () => Promise<T>): Promise<T> => {
    if (sweeping) throw new CleanupError('sweep_in_progress');
    sweeping = true;
    try {
      return await work();
    } finally {
      sweeping = false;
    }
  };

  // One run of a set or sweep: its answer, or its refusal, never a throw.
  const clearForResult = async (requested: string, options: ClearOptions): Promise<RunResult> => {
    try {
      return await deps.clearer.clear(requested, options);
    } catch (error) {
      if (!isCleanupError(error)) {
        (options.logger ?? deps.logger).error({ err: error, run_path: requested }, 'unexpected error while clearing a run');
      }
      const { code, message } = toErrorBody(error);
      return { run_path: requested, error: { code, message } };
    }
  };

  // `refused`: runs answered without a clear (a sweep's distrusted records).
  const clearMany = async (runPaths: string[], options: ClearOptions, refused: RunResult[] = []): Promise<RunResult[]> => {
    options.observer?.runsChosen?.([...refused.map((result) => result.run_path), ...runPaths]);
    const results: RunResult[] = [];
    for (const result of refused) {
      options.observer?.runDone?.(result);
      results.push(result);
    }
    for (const runPath of runPaths) {
      const result = await clearForResult(runPath, options);
      options.observer?.runDone?.(result);
      results.push(result);
    }
    return results;
  };

  const logSweep = (results: RunResult[], options: ClearOptions, startedAt: number): void => {
    const refusals = results.flatMap((result) => ('error' in result ? [result.error.code] : []));
    const skippedCodes = refusals.filter((code) => SKIPPED_BY_SWEEP.has(code));
    const summary = {
      cleared: results.length - refusals.length,
      skipped: skippedCodes.length,
      failed: refusals.length - skippedCodes.length,
      duration_ms: Math.round(performance.now() - startedAt),
      skipped_by_reason: countBy(skippedCodes),
    };
    const log = options.logger ?? deps.logger;
    for (const result of results) {
      if ('error' in result) log.warn({ run_path: result.run_path, ...result.error }, 'sweep did not clear a run');
    }
    // A dry run cleared nothing: it says what would go, and no metric counts it.
    if (options.dryRun) {
      const { cleared, ...rest } = summary;
      log.info({ ...rest, would_clear: cleared, dry_run: true, actor: options.actor }, 'sweep dry run finished');
      return;
    }
    log.info({ ...summary, dry_run: false, actor: options.actor }, 'sweep finished');
    deps.events.emit('sweep_done', summary);
  };

  return {
    // A root that is not there, or not the pinned one, refuses the whole set.
    async clearSet(request: ClearSetRequest, options: ClearOptions): Promise<RunResult[]> {
      await deps.rootAvailable();
      const runPaths =
        'all_verified' in request
          ? (await deps.entries())
              .filter((entry) => isClearableOrResumable(entry.record.view.current_state))
              .map((entry) => entry.location.runPath)
          : distinctRunPaths(request.run_paths, deps.stagingRoot);
      return clearMany(runPaths, options);
    },

    clearForResult,
    exclusively,

    // Clears every auto-eligible run, and finishes clears that were
    // interrupted, in scheduled mode; nothing at all in manual mode.
    sweep: (options: ClearOptions): Promise<RunResult[]> =>
      exclusively(async () => {
        const startedAt = performance.now();
        const entries = await deps.entries();
        const now = deps.clock();
        // Due by mode and window; the clear itself then runs every pre-clear
        // check, so a run that fails one is skipped, logged and counted. A
        // verified run whose record cannot be believed is never due: it is
        // answered (skipped, logged, counted) with its reason, unopened.
        const decided = entries.map((entry) => ({ entry, decision: decide(entry.record.view, deps.policy, now) }));
        const due = decided.filter(({ decision }) => decision.auto_clear_eligible);
        // In manual mode the sweep looks at no run at all.
        const distrusted = decided.flatMap(({ entry, decision: { reason, message } }) =>
          deps.policy.mode === 'scheduled' && isClearableOrResumable(entry.record.view.current_state) && isDistrustReason(reason)
            ? [{ run_path: entry.location.runPath, error: { code: reason, message } }]
            : [],
        );
        const results = await clearMany(
          due.map(({ entry }) => entry.location.runPath),
          options,
          distrusted,
        );
        logSweep(results, options, startedAt);
        return results;
      }),
  };
}
