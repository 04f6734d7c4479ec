// Asynchronous clears and their progress: GET /api/v1/jobs and /jobs/{id}.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CleanupError } from '../../domain/errors.ts';
import type { AsyncClears } from '../../service/asyncClears.ts';
import { jobSchema } from '../../service/jobs.ts';
import { errorResponses } from '../errorEnvelope.ts';
import { TOKEN_REQUIRED as security } from '../openapi.ts';

export const jobRoutes: FastifyPluginAsyncZod<{ jobs: AsyncClears }> = async (app, { jobs }) => {
  app.get('/api/v1/jobs', {
    config: { scope: 'read' },
    schema: {
      summary: 'Recent asynchronous clears, newest first',
      description: 'Jobs are kept in memory: the last 200, for 24 hours once finished.',
      tags: ['jobs'],
      security,
      response: { 200: z.object({ jobs: z.array(jobSchema) }), ...errorResponses('unauthorized', 'internal_error') },
    },
    handler: async () => ({ jobs: jobs.list() }),
  });

  app.get('/api/v1/jobs/:id', {
    config: { scope: 'read' },
    schema: {
      summary: 'One asynchronous clear and its progress',
      tags: ['jobs'],
      security,
      params: z.object({ id: z.string() }),
      response: { 200: jobSchema, ...errorResponses('unauthorized', 'job_not_found', 'internal_error') },
    },
    handler: async (request) => {
      const job = jobs.get(request.params.id);
      if (!job) {
        throw new CleanupError('job_not_found', `There is no job ${request.params.id} (jobs are kept for 24 hours).`, {
          field: 'id',
        });
      }
      return job;
    },
  });
};
