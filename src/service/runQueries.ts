// Read-only questions about staged runs: the listing, one run, its
// eligibility, the journal. Two ways to decide whether a run may be cleared:
// - from the index (stagingIndex.ts): its reading of the run, the local
//   check only, and whether this process may write the run and its parent
//   as the index last asked (again at every change of either); never reads
//   the NAS. For rows.
// - decideWithAllChecks: a fresh survey of the run with every configured
//   pre-clear check, the NAS one included, after asking whether this process
//   may write the run and its parent. For one run's detail and eligibility.
import type { ClearRecord } from '../domain/clearRecord.ts';
import { CleanupError } from '../domain/errors.ts';
import type { RunKind } from '../domain/ingestSchema.ts';
import { isClearableOrResumable, type LifecycleState } from '../domain/lifecycle.ts';
import { decide, decisionHoldsUntil, type Decision, type PolicySettings } from '../domain/policy.ts';
import { latestVerification } from '../domain/verification.ts';
import { distinctRunPaths, resolveRunPath, type RunLocation } from '../domain/runPath.ts';
import type { Journal } from '../storage/journal.ts';
import { GONE, type StagedRuns } from '../storage/stagedRun.ts';
import { describeFolderProblem } from '../storage/stagingScan.ts';
import type { StagingRootGuard } from '../storage/stagingRootGuard.ts';
import type { EligibilityAnswer, RunDetail, RunListing, RunRow } from './answers.ts';
import { asPolicyRefusal, surveyRefusal, type PreClearCheck } from './preClearCheck.ts';
import type { CatalogEntry, RunCatalog } from './runCatalog.ts';
import type { IndexedTree, StagingIndex } from './stagingIndex.ts';
import { buildRunRow, compareRows, secondsSince } from './runRow.ts';

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
  index: StagingIndex;
  runs: StagedRuns;
  check: PreClearCheck;
  journal: Journal;
  rootGuard: StagingRootGuard;
  clock: () => Date;
}

type DecidedRun = { row: RunRow; decision: Decision };

export interface DecidedRuns {
  now: Date;
  runs: DecidedRun[];
  problems: IndexedTree['problems'];
  folderProblems: IndexedTree['folderProblems'];
}

function runNotFound(location: RunLocation, why = ''): CleanupError {
  return new CleanupError('run_not_found', { runPath: location.runPath, why });
}

export type RunQueries = ReturnType<typeof createRunQueries>;

export function createRunQueries(deps: RunQueriesDeps) {
  const { stagingRoot, policy, catalog, check, clock } = deps;

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
    deps.index.noticeChanges();
    const entry = await catalog.one(location);
    if (!entry) throw runNotFound(location, ' (the folder has no .exlab-wizard/ingest.json yet)');
    return entry;
  };

  // Each indexed reading's row and decision, kept until the decision may
  // change (decisionHoldsUntil) or the reading is replaced: an unchanged run
  // costs a lookup, not a decision. A kept row is brought up to the time in
  // place (its elapsed seconds: rows are data, and one handed out earlier
  // shows the later count).
  interface Kept {
    writeRefusal: CleanupError | null;
    run: DecidedRun;
    activityMs: number;
    until: number;
  }
  const kept = new WeakMap<CatalogEntry, Kept>();
  const keptOf = (entry: CatalogEntry, writeRefusal: CleanupError | null, now: Date): Kept => {
    const known = kept.get(entry);
    if (known && known.writeRefusal === writeRefusal && now.getTime() < known.until) {
      known.run.row.elapsed_seconds_since_last_activity = secondsSince(known.activityMs, now);
      return known;
    }
    const decision = decideFromListing(entry, now, writeRefusal);
    const row = buildRunRow(entry, decision, now);
    const fresh = { writeRefusal, run: { row, decision }, activityMs: Date.parse(row.last_activity_at), until: decisionHoldsUntil(entry.record.view, policy, now) };
    kept.set(entry, fresh);
    return fresh;
  };

  // The rows of the index's tree as last decided, while the tree is the
  // same (nothing changed) and every decision in it holds: then a listing
  // costs the elapsed seconds of each row, and its order is kept.
  let listed: { tree: IndexedTree; runs: Kept[]; until: number; sorted: RunRow[] | null } | null = null;

  // Every run's row and the decision behind it, from the index as it is now
  // (it refuses a root that is not the pinned one, or cannot be read).
  const decidedTree = async (): Promise<{ now: Date; tree: IndexedTree; listed: NonNullable<typeof listed> }> => {
    const tree = await deps.index.current();
    const now = clock();
    if (listed?.tree === tree && now.getTime() < listed.until) {
      for (const each of listed.runs) each.run.row.elapsed_seconds_since_last_activity = secondsSince(each.activityMs, now);
    } else {
      const runs = tree.entries.map(({ entry, writeRefusal }) => keptOf(entry, writeRefusal, now));
      listed = { tree, runs, until: runs.reduce((soonest, run) => Math.min(soonest, run.until), Number.POSITIVE_INFINITY), sorted: null };
    }
    return { now, tree, listed };
  };

  const decided = async (): Promise<DecidedRuns> => {
    const { now, tree, listed: rows } = await decidedTree();
    return { now, runs: rows.runs.map(({ run }) => run), problems: tree.problems, folderProblems: tree.folderProblems };
  };

  return {
    decided,
    // The runs the index holds (for the sweep and a set of every verified run).
    entries: async (): Promise<CatalogEntry[]> => (await deps.index.current()).entries.map(({ entry }) => entry),

    async listRuns(filter: RunFilter = {}): Promise<RunListing> {
      const { tree, listed: rows } = await decidedTree();
      const { problems, folderProblems } = tree;
      rows.sorted ??= rows.runs.map(({ run }) => run.row).sort(compareRows);
      const runs = rows.sorted.filter(
        (row) =>
          (filter.state === undefined || row.current_state === filter.state) &&
          (filter.eligible === undefined || row.auto_clear_eligible === filter.eligible) &&
          (filter.equipment_id === undefined || row.equipment_id === filter.equipment_id) &&
          (filter.run_kind === undefined || row.run_kind === filter.run_kind),
      );
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
