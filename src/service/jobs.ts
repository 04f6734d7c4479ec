// Asynchronous clears (README "The API at a glance", Prefer: respond-async): a job runs a clear, a set or
// a sweep in the background and shows its progress. At most `maxPending`
// jobs are queued or running (beyond, job_queue_full), and `concurrency` of
// them clear at once. Jobs live in memory: finished ones for at most KEEP_MS,
// the last MAX_KEPT, and no more than KEPT_RUNS runs among them (a set may
// name 1000 runs, each with its result), so that memory stays bounded.
// One cohesive thing (the registry, its limits and its pages), hence its length.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { CleanupError, toErrorBody } from '../domain/errors.ts';
import { formatTimestamp } from '../domain/timestamps.ts';
import { sumOf } from '../lib/sumOf.ts';
import type { RunResult } from './answers.ts';
import type { ClearObserver } from './clearOptions.ts';
import { FIRST_RUNS_PAGE, type Job, type JobList, type JobsPage, type JobSummary, type RunsPage } from './jobSchema.ts';

export const MAX_KEPT = 200;
export const KEPT_RUNS = 10_000;
export const KEEP_MS = 24 * 3_600_000;

export interface JobLimits {
  maxPending: number;
  concurrency: number;
}

// What a job's work is told as it goes: the clear's observer, naming the job.
type JobReporter = Required<ClearObserver>;

export interface JobOutcome {
  results: RunResult[];
  error: JobSummary['error'];
}

interface JobSpec {
  kind: JobSummary['kind'];
  runPaths: string[];
  work: (reporter: JobReporter) => Promise<JobOutcome>;
}

interface JobEntry {
  seq: number;
  summary: JobSummary;
  runPaths: string[];
  results: RunResult[] | null;
  spec: JobSpec;
}

export class JobRegistry {
  // Oldest first.
  private readonly jobs = new Map<string, JobEntry>();
  private readonly queue: JobEntry[] = [];
  private running = 0;
  private seq = 0;

  constructor(
    private readonly clock: () => Date,
    // A run's file count from the cached scan, when known.
    private readonly knownFileCount: (runPath: string) => number | null,
    private readonly logger: Pick<Logger, 'error'>,
    private readonly limits: JobLimits,
  ) {}

  start(spec: JobSpec): Job {
    this.prune();
    if (this.queue.length + this.running >= this.limits.maxPending) {
      throw new CleanupError('job_queue_full', { limit: this.limits.maxPending });
    }
    this.seq += 1;
    const entry: JobEntry = {
      seq: this.seq,
      summary: {
        id: randomUUID(),
        kind: spec.kind,
        state: 'queued',
        runs_total: spec.runPaths.length,
        runs_cleared: 0,
        runs_failed: 0,
        files_freed: 0,
        bytes_freed: 0,
        files_total: this.totalOf(spec.runPaths, new Map()),
        created_at: this.now(),
        started_at: null,
        finished_at: null,
        error: null,
      },
      runPaths: spec.runPaths,
      results: null,
      spec,
    };
    this.jobs.set(entry.summary.id, entry);
    this.queue.push(entry);
    // Started on the next turn, so that the caller answers 202 first.
    setImmediate(() => this.startQueued());
    return detailOf(entry, FIRST_RUNS_PAGE);
  }

  get(id: string, page: RunsPage = FIRST_RUNS_PAGE): Job | null {
    const entry = this.jobs.get(id);
    return entry ? detailOf(entry, page) : null;
  }

  // Newest first, a page at a time.
  list(page: JobsPage): JobList {
    this.prune();
    const before = page.cursor === undefined ? Number.POSITIVE_INFINITY : Number(page.cursor);
    const older = [...this.jobs.values()].reverse().filter((entry) => entry.seq < before);
    const shown = older.slice(0, page.limit);
    const last = shown.at(-1);
    return {
      jobs: shown.map((entry) => ({ ...entry.summary })),
      next_cursor: older.length > shown.length && last ? String(last.seq) : null,
    };
  }

  private startQueued(): void {
    while (this.running < this.limits.concurrency) {
      const next = this.queue.shift();
      if (!next) return;
      this.running += 1;
      void this.run(next).finally(() => {
        this.running -= 1;
        this.startQueued();
      });
    }
  }

  private async run(entry: JobEntry): Promise<void> {
    const job = entry.summary;
    job.state = 'running';
    job.started_at = this.now();
    const freed = new Map<string, { files: number; bytes: number }>();
    const count = (runPath: string, files: number, bytes: number): void => {
      freed.set(runPath, { files, bytes });
      job.files_freed = sumOf(freed.values(), (run) => run.files);
      job.bytes_freed = sumOf(freed.values(), (run) => run.bytes);
    };
    const totals = new Map<string, number>();
    const reporter: JobReporter = {
      jobId: job.id,
      progress: (progress) => {
        count(progress.run_path, progress.files_freed, progress.bytes_freed);
        if (progress.files_total !== null) totals.set(progress.run_path, progress.files_total);
        job.files_total = this.totalOf(entry.runPaths, totals);
      },
      runsChosen: (runPaths) => {
        entry.runPaths = runPaths;
        job.runs_total = runPaths.length;
        job.files_total = this.totalOf(runPaths, totals);
      },
      runDone: (result) => {
        if ('error' in result) job.runs_failed += 1;
        else job.runs_cleared += 1;
        // A dry run sends no progress: what it would free is its answer.
        if ('outcome' in result && result.outcome === 'would_clear') count(result.run_path, result.files_freed, result.bytes_freed);
      },
    };
    let outcome: JobOutcome;
    try {
      outcome = await entry.spec.work(reporter);
    } catch (error) {
      this.logger.error({ err: error, job_id: job.id }, 'job failed unexpectedly');
      outcome = { results: [], error: toErrorBody(error) };
    }
    entry.results = outcome.results;
    const failed = outcome.results.filter((result) => 'error' in result).length;
    job.runs_cleared = outcome.results.length - failed;
    // A job refused as a whole failed every run it did not finish.
    job.runs_failed = outcome.error ? job.runs_total - job.runs_cleared : failed;
    job.error = outcome.error;
    job.state = stateOf(job);
    job.finished_at = this.now();
    this.prune();
  }

  // Surveyed counts where a clear has told them, cached estimates elsewhere.
  private totalOf(runPaths: readonly string[], surveyed: ReadonlyMap<string, number>): number | null {
    let total = 0;
    for (const runPath of runPaths) {
      const known = surveyed.get(runPath) ?? this.knownFileCount(runPath);
      if (known === null) return null;
      total += known;
    }
    return total;
  }

  // Drops finished jobs: expired ones, then the oldest while too many are kept.
  private prune(): void {
    const cutoff = this.clock().getTime() - KEEP_MS;
    const finished = [...this.jobs.values()].filter((entry) => entry.summary.finished_at !== null);
    let kept = finished.length;
    let keptRuns = sumOf(finished, (entry) => entry.runPaths.length);
    for (const entry of finished) {
      const expired = Date.parse(entry.summary.finished_at as string) < cutoff;
      if (!expired && kept <= MAX_KEPT && keptRuns <= KEPT_RUNS) continue;
      this.jobs.delete(entry.summary.id);
      kept -= 1;
      keptRuns -= entry.runPaths.length;
    }
  }

  private now(): string {
    return formatTimestamp(this.clock());
  }
}

function stateOf(job: JobSummary): JobSummary['state'] {
  if (job.error || (job.runs_failed > 0 && job.runs_cleared === 0)) return 'failed';
  return job.runs_failed > 0 ? 'partially_failed' : 'succeeded';
}

function detailOf(entry: JobEntry, page: RunsPage): Job {
  const end = page.offset + page.limit;
  return {
    ...entry.summary,
    run_paths: entry.runPaths.slice(page.offset, end),
    results: entry.results?.slice(page.offset, end) ?? null,
    runs_offset: page.offset,
    next_runs_offset: end < entry.runPaths.length ? end : null,
  };
}
