// Read-only questions about staged runs: the listing, one run, its
// eligibility, the journal. Two ways to decide whether a run may be cleared:
// - decideFromListing: what the listing's own (possibly cached) walk already
//   shows, the local check only, after asking (on every listing: a chmod
//   changes no stamp the cache reads) whether this process may write the run
//   and its parent; never reads the NAS. For rows.
// - decideWithAllChecks: a fresh survey of the run with every configured
//   pre-clear check, the NAS one included, after asking whether this process
//   may write the run and its parent. For one run's detail and eligibility.
import type { ClearRecord } from '../domain/clearRecord.ts';
import { CleanupError, isCleanupError } from '../domain/errors.ts';
import type { RunKind } from '../domain/ingestSchema.ts';
import { isClearableOrResumable, type LifecycleState } from '../domain/lifecycle.ts';
import { decide, type Decision, type PolicySettings } from '../domain/policy.ts';
import { latestVerification } from '../domain/verification.ts';
import { distinctRunPaths, resolveRunPath, type RunLocation } from '../domain/runPath.ts';
import { coalesced } from '../lib/coalesced.ts';
import { mapLimited } from '../lib/mapLimited.ts';
import type { Journal } from '../storage/journal.ts';
import { GONE, type StagedRuns } from '../storage/stagedRun.ts';
import { describeFolderProblem } from '../storage/stagingScan.ts';
import type { StagingRootGuard } from '../storage/stagingRootGuard.ts';
import type { EligibilityAnswer, RunDetail, RunListing, RunRow } from './answers.ts';
import { asPolicyRefusal, surveyRefusal, type PreClearCheck } from './preClearCheck.ts';
import type { Catalog, CatalogEntry, RunCatalog } from './runCatalog.ts';
import { buildRunRow, compareRows } from './runRow.ts';

interface RunFilter {
  state?: LifecycleState;
  eligible?: boolean;
  equipment_id?: string;
  run_kind?: RunKind;
}

interface RunQueriesDeps {
  stagingRoot: string;
  policy: PolicySettings;
  catalog: RunCatalog;
  runs: StagedRuns;
  check: PreClearCheck;
  journal: Journal;
  rootGuard: StagingRootGuard;
  clock: () => Date;
}

export interface DecidedRuns {
  now: Date;
  runs: Array<{ row: RunRow; decision: Decision }>;
  problems: Catalog['problems'];
  folderProblems: Catalog['folderProblems'];
}

const WRITE_CHECK_CONCURRENCY = 32;

function runNotFound(location: RunLocation, why = ''): CleanupError {
  return new CleanupError('run_not_found', { runPath: location.runPath, why });
}

export type RunQueries = ReturnType<typeof createRunQueries>;

export function createRunQueries(deps: RunQueriesDeps) {
  const { stagingRoot, policy, catalog, check, clock } = deps;

  // Every staged run (the scan refuses a root that is not the pinned one, or
  // cannot be read). Listings asked for at once share a scan begun after
  // they asked (50 clients at once held 50 scans and their rows in memory).
  const scan = coalesced((): Promise<Catalog> => catalog.scan());

  // What a clear would meet first when it came to remove the run: a folder
  // this process may not change. Only for runs a clear would touch.
  const writeRefusalOf = async (entry: CatalogEntry): Promise<CleanupError | null> => {
    if (!isClearableOrResumable(entry.record.view.current_state)) return null;
    const refusal = await deps.runs
      .opened(entry.location, (run) => run.writeRefusal())
      // Changed under the listing (swapped for a link): the clear judges it afresh.
      .catch((error: unknown) => (isCleanupError(error) ? null : Promise.reject(error)));
    return refusal === GONE ? null : refusal;
  };

  const decideFromListing = (entry: CatalogEntry, now: Date, writeRefusal: CleanupError | null): Decision => {
    const refusal = writeRefusal ?? (entry.measure ? surveyRefusal(entry.location.runPath, entry.measure) : null);
    return decide(entry.record.view, policy, now, asPolicyRefusal(refusal));
  };

  const decideWithAllChecks = async (entry: CatalogEntry, now: Date): Promise<Decision> => {
    const { view } = entry.record;
    if (!isClearableOrResumable(view.current_state)) return decide(view, policy, now);
    const decision = await deps.runs.opened(entry.location, async (run) => {
      const refusal = (await run.writeRefusal()) ?? (await check.inspect(run, view)).refusal;
      return decide(view, policy, now, asPolicyRefusal(refusal));
    });
    if (decision === GONE) throw runNotFound(entry.location);
    return decision;
  };

  const locate = async (requested: string): Promise<CatalogEntry> => {
    const location = resolveRunPath(requested, stagingRoot);
    await deps.rootGuard.ensureAvailable();
    // A link or a file on the way is an invalid run path; a gap, not found.
    if ((await deps.runs.opened(location, async () => true)) === GONE) throw runNotFound(location);
    const entry = await catalog.one(location);
    if (!entry) throw runNotFound(location, ' (the folder has no .exlab-wizard/ingest.json yet)');
    return entry;
  };

  const decideAll = async (): Promise<DecidedRuns> => {
    const { entries, problems, folderProblems } = await scan();
    const writeRefusals = await mapLimited(entries, WRITE_CHECK_CONCURRENCY, writeRefusalOf);
    const now = clock();
    const runs = entries.map((entry, index) => {
      const decision = decideFromListing(entry, now, writeRefusals[index] ?? null);
      return { row: buildRunRow(entry, decision, now), decision };
    });
    return { now, runs, problems, folderProblems };
  };

  // Every run's row and the decision behind it, as the listing sees them:
  // from a listing begun less than `maxAgeMs` ago (or under way), if any.
  type Begun = { startedAt: number; result: Promise<DecidedRuns> } | null;
  let latest: Begun = null;
  // The last listing begun, kept even once a run changed (for summaries that
  // may lag a little, such as health's).
  let last: Begun = null;
  const decided = (maxAgeMs = 0): Promise<DecidedRuns> => {
    if (latest && performance.now() - latest.startedAt <= maxAgeMs) return latest.result;
    const started = { startedAt: performance.now(), result: decideAll() };
    latest = started;
    last = started;
    started.result.catch(() => {
      if (latest === started) latest = null;
      if (last === started) last = null;
    });
    return started.result;
  };

  return {
    scan,
    decided,
    // The last listing if begun less than `maxAgeMs` ago, even if a run has
    // changed since; else a new one.
    recentlyDecided: (maxAgeMs: number): Promise<DecidedRuns> =>
      last && performance.now() - last.startedAt <= maxAgeMs ? last.result : decided(),
    // A listing kept for sharing is not shared once a run changed.
    forgetShared(): void {
      latest = null;
    },

    async listRuns(filter: RunFilter = {}): Promise<RunListing> {
      const { runs: decidedRuns, problems, folderProblems } = await decided();
      const runs = decidedRuns
        .map(({ row }) => row)
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
        problems: [
          ...folderProblems.map((problem) => describeFolderProblem(problem, stagingRoot)),
          ...problems.map((problem) => ({
            path: problem.location.absolutePath,
            run_path: problem.location.runPath,
            ...(problem.location.escaped ? { escaped: true as const } : {}),
            code: problem.code,
            message: problem.message,
          })),
        ],
      };
    },

    async getRun(requested: string): Promise<RunDetail> {
      const entry = await locate(requested);
      const now = clock();
      const decision = await decideWithAllChecks(entry, now);
      const { view } = entry.record;
      return {
        ...buildRunRow(entry, decision, now),
        nas_path: latestVerification(view)?.nas_path ?? null,
        history: view.history,
        eligibility: decision,
      };
    },

    async eligibility(requested: string): Promise<EligibilityAnswer> {
      const entry = await locate(requested);
      return {
        run_path: entry.location.runPath,
        current_state: entry.record.view.current_state,
        ...(await decideWithAllChecks(entry, clock())),
      };
    },

    listClears: (query: { since?: Date; limit?: number; offset?: number } = {}): Promise<ClearRecord[]> =>
      deps.journal.recent({ since: query.since, limit: query.limit ?? 100, offset: query.offset ?? 0 }),

    // The runs of a set, each once however it was spelled.
    distinctRunPaths: (requested: readonly string[]): string[] => distinctRunPaths(requested, stagingRoot),

    // The run path a request names, or invalid_run_path (nothing on disk is read).
    normalizeRunPath(requested: string): string {
      return resolveRunPath(requested, stagingRoot).runPath;
    },

    // The files a run holds, from the cached scan, when known.
    knownFileCount: (runPath: string): number | null => catalog.knownFileCount(runPath),
  };
}
