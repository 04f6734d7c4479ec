// Asynchronous clears and their progress: GET /api/v1/jobs (summaries, a
// page at a time) and /jobs/{id} (one job, a page of its runs at a time).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CleanupError } from '../../domain/errors.ts';
import type { AsyncClears } from '../../service/asyncClears.ts';
import { FIRST_RUNS_PAGE, jobListSchema, jobSchema } from '../../service/jobSchema.ts';
import { KEEP_MS, KEPT_RUNS, MAX_KEPT } from '../../service/jobs.ts';
import { TOKEN_REQUIRED as security } from '../plugins/openapi.ts';
import { queryInteger } from './queryInteger.ts';

const HOUR_MS = 3_600_000;
const MAX_JOBS_PAGE = 200;
const MAX_RUNS_PAGE = 1000;
// Far past any job's runs: an offset past the end answers an empty page.
const MAX_RUNS_OFFSET = 1_000_000_000;

const listQuery = z.strictObject({
  limit: queryInteger(1, MAX_JOBS_PAGE, 50),
  cursor: z.string().regex(/^\d+$/, 'must be a next_cursor of an earlier page').optional().describe('next_cursor of the previous page.'),
});

const jobQuery = z.strictObject({
  runs_offset: queryInteger(0, MAX_RUNS_OFFSET, FIRST_RUNS_PAGE.offset),
  runs_limit: queryInteger(1, MAX_RUNS_PAGE, FIRST_RUNS_PAGE.limit),
});

export const jobRoutes: FastifyPluginAsyncZod<{ jobs: Pick<AsyncClears, 'list' | 'get'> }> = async (app, { jobs }) => {
  app.get('/api/v1/jobs', {
    config: { scope: 'read' },
    schema: {
      summary: 'Recent asynchronous clears, newest first, a page at a time',
      operationId: 'listJobs',
      description:
        `Summaries with their counts; a job's runs and results are on GET /api/v1/jobs/{id}. Jobs are kept in memory: ` +
        `queued and running ones, and finished ones for ${KEEP_MS / HOUR_MS} hours (the last ${MAX_KEPT}, with at most ${KEPT_RUNS} runs among them).`,
      tags: ['jobs'],
      security,
      querystring: listQuery,
      response: { 200: jobListSchema },
    },
    handler: async (request) => jobs.list(request.query),
  });

  app.get('/api/v1/jobs/:id', {
    config: { scope: 'read', errors: ['job_not_found'] },
    schema: {
      summary: 'One asynchronous clear and its progress, with a page of its runs',
      operationId: 'getJob',
      tags: ['jobs'],
      security,
      params: z.object({ id: z.string() }),
      querystring: jobQuery,
      response: { 200: jobSchema },
    },
    handler: async (request) => {
      const { runs_offset: offset, runs_limit: limit } = request.query;
      const job = jobs.get(request.params.id, { offset, limit });
      if (!job) {
        throw new CleanupError('job_not_found', { id: request.params.id, keptHours: KEEP_MS / HOUR_MS });
      }
      return job;
    },
  });
};
