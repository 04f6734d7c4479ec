// What a job looks like to a client: a summary (the listing) and the detail
// of one job, whose runs and results come a page at a time.
import { z } from 'zod';
import { jobErrorSchema, runResultsSchema } from './answers.ts';

const JOB_KINDS = ['clear', 'clear_set', 'sweep'] as const;
const JOB_STATES = ['queued', 'running', 'succeeded', 'partially_failed', 'failed'] as const;

export const jobSummarySchema = z
  .object({
    id: z.string(),
    kind: z.enum(JOB_KINDS),
    state: z
      .enum(JOB_STATES)
      .describe(
        'succeeded: no run failed (a sweep that chose none included); partially_failed: some runs failed, some did not; ' +
          'failed: every run failed, or the job was refused as a whole (then error says why).',
      ),
    runs_total: z.int().describe('The runs of the job (a sweep counts them once it has chosen).'),
    runs_cleared: z.int().describe('Runs finished without error: cleared, already cleared, or (dry run) that would clear.'),
    runs_failed: z.int().describe('Runs refused or stopped by an error (each has its error in results).'),
    files_freed: z.int(),
    bytes_freed: z.int(),
    files_total: z.int().nullable().describe('Estimate from the cached scan, when known.'),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    error: jobErrorSchema
      .nullable()
      .describe('Why the job failed as a whole: the error the clear met. Null when runs failed one by one (see results).'),
  })
  .meta({ id: 'JobSummary', description: 'A job without its runs: GET /api/v1/jobs/{id} has them.' });

export const jobSchema = jobSummarySchema
  .extend({
    run_paths: z.array(z.string()).describe('This page of the runs, in order (a sweep names them once it has chosen).'),
    results: runResultsSchema.shape.results
      .nullable()
      .describe('This page of the results, one per run of run_paths, once the job has finished.'),
    runs_offset: z.int().describe('Where this page starts among the runs.'),
    next_runs_offset: z.int().nullable().describe('runs_offset of the next page; null on the last.'),
  })
  .meta({ id: 'Job', description: 'A job with a page of its runs and their results.' });

export const jobListSchema = z.object({
  jobs: z.array(jobSummarySchema).describe('Newest first.'),
  next_cursor: z.string().nullable().describe('cursor of the next page; null on the last.'),
});

export type JobSummary = z.infer<typeof jobSummarySchema>;
export type Job = z.infer<typeof jobSchema>;
export type JobList = z.infer<typeof jobListSchema>;

export interface RunsPage {
  offset: number;
  limit: number;
}

export interface JobsPage {
  // Jobs older than the one this names (a next_cursor).
  cursor?: string;
  limit: number;
}

// A job's first page as the 202 answer shows it.
export const FIRST_RUNS_PAGE: RunsPage = { offset: 0, limit: 100 };
