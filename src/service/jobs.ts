// Asynchronous clears (DESIGN §5 "Long clears"): a job runs a clear, a set or
// a sweep in the background and shows its progress. Jobs live in memory: the
// last MAX_KEPT, for at most KEEP_MS once finished.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { formatTimestamp } from '../domain/timestamps.ts';
import { sumOf } from '../lib/sumOf.ts';
import { jobErrorSchema, runResultsSchema, type RunResult } from './answers.ts';
import type { ClearObserver } from './clearOptions.ts';
import { toErrorBody } from '../domain/errors.ts';

const JOB_KINDS = ['clear', 'clear_set', 'sweep'] as const;
const JOB_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;

export const jobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(JOB_KINDS),
    state: z.enum(JOB_STATES),
    run_paths: z.array(z.string()).describe('The runs of the job (a sweep names them once it has chosen).'),
    files_freed: z.int(),
    bytes_freed: z.int(),
    files_total: z.int().nullable().describe('Estimate from the cached scan, when known.'),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    results: runResultsSchema.shape.results.nullable().describe('One per run, once finished.'),
    error: jobErrorSchema.nullable().describe('Why the job failed: the error the clear met.'),
  })
  .meta({ id: 'Job' });

export type Job = z.infer<typeof jobSchema>;
type JobKind = Job['kind'];

export const MAX_KEPT = 200;
export const KEEP_MS = 24 * 3_600_000;

// What a job's work is told as it goes: the clear's observer, naming the job.
type JobReporter = Required<ClearObserver>;

export interface JobOutcome {
  results: RunResult[];
  error: Job['error'];
}

interface JobSpec {
  kind: JobKind;
  runPaths: string[];
  work: (reporter: JobReporter) => Promise<JobOutcome>;
}

export class JobRegistry {
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly clock: () => Date,
    // A run's file count from the cached scan, when known.
    private readonly knownFileCount: (runPath: string) => number | null,
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  start(spec: JobSpec): Job {
    this.prune();
    const job: Job = {
      id: randomUUID(),
      kind: spec.kind,
      state: 'queued',
      run_paths: spec.runPaths,
      files_freed: 0,
      bytes_freed: 0,
      files_total: this.totalOf(spec.runPaths, new Map()),
      created_at: this.now(),
      started_at: null,
      finished_at: null,
      results: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    // Started on the next turn, so that the caller answers 202 first.
    setImmediate(() => void this.run(job, spec));
    return { ...job };
  }

  get(id: string): Job | null {
    const job = this.jobs.get(id);
    return job ? { ...job } : null;
  }

  // Newest first.
  list(): Job[] {
    this.prune();
    return [...this.jobs.values()].reverse().map((job) => ({ ...job }));
  }

  private async run(job: Job, spec: JobSpec): Promise<void> {
    job.state = 'running';
    job.started_at = this.now();
    const freed = new Map<string, { files: number; bytes: number }>();
    const totals = new Map<string, number>();
    const reporter: JobReporter = {
      jobId: job.id,
      progress: (progress) => {
        freed.set(progress.run_path, { files: progress.files_freed, bytes: progress.bytes_freed });
        if (progress.files_total !== null) totals.set(progress.run_path, progress.files_total);
        job.files_freed = sumOf(freed.values(), (run) => run.files);
        job.bytes_freed = sumOf(freed.values(), (run) => run.bytes);
        job.files_total = this.totalOf(job.run_paths, totals);
      },
      runsChosen: (runPaths) => {
        job.run_paths = runPaths;
        job.files_total = this.totalOf(runPaths, totals);
      },
    };
    let outcome: JobOutcome;
    try {
      outcome = await spec.work(reporter);
    } catch (error) {
      this.logger.error({ err: error, job_id: job.id }, 'job failed unexpectedly');
      outcome = { results: [], error: toErrorBody(error) };
    }
    job.results = outcome.results;
    job.error = outcome.error;
    job.state = outcome.error ? 'failed' : 'succeeded';
    job.finished_at = this.now();
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

  private prune(): void {
    const cutoff = this.clock().getTime() - KEEP_MS;
    for (const [id, job] of this.jobs) {
      if (job.finished_at && Date.parse(job.finished_at) < cutoff) this.jobs.delete(id);
    }
    for (const [id, job] of this.jobs) {
      if (this.jobs.size <= MAX_KEPT) break;
      if (job.finished_at) this.jobs.delete(id);
    }
  }

  private now(): string {
    return formatTimestamp(this.clock());
  }
}
