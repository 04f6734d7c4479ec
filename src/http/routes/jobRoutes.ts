// Asynchronous clears and their progress: GET /api/v1/jobs and /jobs/{id}.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CleanupError } from '../../domain/errors.ts';
import type { AsyncClears } from '../../service/asyncClears.ts';
import { jobSchema, KEEP_MS, MAX_KEPT } from '../../service/jobs.ts';

const HOUR_MS = 3_600_000;
import { TOKEN_REQUIRED as security } from '../openapi.ts';

export const jobRoutes: FastifyPluginAsyncZod<{ jobs: AsyncClears }> = async (app, { jobs }) => {
  app.get('/api/v1/jobs', {
    config: { scope: 'read' },
    schema: {
      summary: 'Recent asynchronous clears, newest first',
      operationId: 'listJobs',
      description: `Jobs are kept in memory: the last ${MAX_KEPT}, for ${KEEP_MS / HOUR_MS} hours once finished.`,
      tags: ['jobs'],
      security,
      response: { 200: z.object({ jobs: z.array(jobSchema) }) },
    },
    handler: async () => ({ jobs: jobs.list() }),
  });

  app.get('/api/v1/jobs/:id', {
    config: { scope: 'read', errors: ['job_not_found'] },
    schema: {
      summary: 'One asynchronous clear and its progress',
      operationId: 'getJob',
      tags: ['jobs'],
      security,
      params: z.object({ id: z.string() }),
      response: { 200: jobSchema },
    },
    handler: async (request) => {
      const job = jobs.get(request.params.id);
      if (!job) {
        throw new CleanupError('job_not_found', { id: request.params.id, keptHours: KEEP_MS / HOUR_MS });
      }
      return job;
    },
  });
};
