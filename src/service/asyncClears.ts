// Starting clears as jobs (Prefer: respond-async): the request is checked
// first (a bad run path is still refused at once), then the clear runs in the
// background and whatever it meets ends the job.
import { isCleanupError, toErrorBody } from '../domain/errors.ts';
import type { RunResult } from './answers.ts';
import type { ClearOptions } from './clearOptions.ts';
import type { Clears, ClearSetRequest } from './clears.ts';
import type { Job, JobList, JobsPage, RunsPage } from './jobSchema.ts';
import type { JobOutcome, JobRegistry } from './jobs.ts';
import type { RunClearer } from './runClearer.ts';
import type { RunQueries } from './runQueries.ts';

export type AsyncClears = ReturnType<typeof createAsyncClears>;

export function createAsyncClears(
  runs: Pick<RunQueries, 'normalizeRunPath' | 'distinctRunPaths'>,
  clearer: Pick<RunClearer, 'clear'>,
  clears: Pick<Clears, 'clearSet' | 'sweep'>,
  registry: JobRegistry,
) {
  const start = (
    kind: Job['kind'],
    runPaths: string[],
    options: ClearOptions,
    work: (options: ClearOptions) => Promise<RunResult[]>,
  ): Job =>
    registry.start({
      kind,
      runPaths,
      work: (reporter) => settle(work({ ...options, observer: reporter })),
    });

  return {
    clearRun(requested: string, options: ClearOptions): Job {
      const runPath = runs.normalizeRunPath(requested);
      return start('clear', [runPath], options, async (jobOptions) => [await clearer.clear(runPath, jobOptions)]);
    },
    clearSet(request: ClearSetRequest, options: ClearOptions): Job {
      const runPaths = 'run_paths' in request ? runs.distinctRunPaths(request.run_paths) : [];
      return start('clear_set', runPaths, options, (jobOptions) => clears.clearSet(request, jobOptions));
    },
    sweep(options: ClearOptions): Job {
      return start('sweep', [], options, (jobOptions) => clears.sweep(jobOptions));
    },
    list: (page: JobsPage): JobList => registry.list(page),
    get: (id: string, page: RunsPage): Job | null => registry.get(id, page),
  };
}

// A clear that is refused ends the job as failed, with the refusal.
async function settle(results: Promise<RunResult[]>): Promise<JobOutcome> {
  try {
    return { results: await results, error: null };
  } catch (error) {
    if (!isCleanupError(error)) throw error;
    const { code, message, details } = toErrorBody(error);
    return { results: [], error: { code, message, ...(details ? { details } : {}) } };
  }
}
