// Operations routes: health (open to all), Prometheus metrics.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { CleanupService } from '../../service/cleanupService.ts';
import { TOKEN_REQUIRED } from '../openapi.ts';

const checkSchema = z.object({ ok: z.boolean(), message: z.string() });
const healthSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ staging_root: checkSchema, journal: checkSchema }),
  })
  .meta({ id: 'Health' });

export const healthRoute: FastifyPluginAsyncZod<{ service: CleanupService }> = async (app, { service }) => {
  app.get('/api/v1/health', {
    config: { scope: 'public' },
    schema: {
      summary: 'Liveness and readiness',
      operationId: 'getHealth',
      description:
        'Ready (200) when the staging root is readable and the journal writable; 503 names the failing check. ' +
        'Answered from the latest check, made at most once a second in the background (a report more than 10 s old is never served); ' +
        'send Cache-Control: no-cache for a check now.',
      tags: ['operations'],
      security: [],
      response: { 200: healthSchema, 503: healthSchema },
    },
    handler: async (request, reply) => {
      const report = await service.health({ fresh: /no-cache/i.test(request.headers['cache-control'] ?? '') });
      return reply.code(report.ready ? 200 : 503).send({
        status: report.ready ? 'ready' : 'not_ready',
        checks: report.checks,
      });
    },
  });
};

export const metricsRoute: FastifyPluginAsyncZod<{ registry: Registry }> = async (app, { registry }) => {
  app.get('/metrics', {
    config: { scope: 'read' },
    schema: {
      summary: 'Prometheus metrics',
      operationId: 'getMetrics',
      tags: ['operations'],
      security: TOKEN_REQUIRED,
      produces: ['text/plain'],
      response: { 200: z.string().describe('Prometheus text format') },
    },
    handler: async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  });
};
