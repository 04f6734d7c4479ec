// Operations routes: health (open to all), Prometheus metrics.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { clearableByHandSchema } from '../../service/capacityAnswer.ts';
import type { HealthSource } from '../../service/lifecycle.ts';
import { TOKEN_REQUIRED } from '../plugins/openapi.ts';

const checkSchema = z.object({
  ok: z.boolean(),
  message: z
    .string()
    .optional()
    .describe('What was found; shown only to a caller with a token when tokens are configured, else to one naming a served Host.'),
});
const volumeCheckSchema = checkSchema
  .extend({
    code: z.literal('staging_volume_full').optional(),
    largest_unverified: z
      .array(z.object({ run_path: z.string(), bytes: z.int(), files: z.int() }).loose())
      .optional()
      .describe('With staging_volume_full: the largest runs only getting them onto the NAS can free.'),
    clearable_by_hand: clearableByHandSchema
      .optional()
      .describe('With staging_volume_full: the runs an operator may still clear by hand, and when the pressure sweep may take the first.'),
  })
  .describe(
    'How full the staging volume is. Fails (staging_volume_full) past pressure.high_water_percent with no verified run ' +
      'left to clear; it does not make the service not ready, since clearing is how room is made.',
  );
const runPermissionsCheckSchema = checkSchema
  .extend({
    runs: z.int().optional().describe('How many staged runs a clear would refuse with staging_permission_denied; shown as the messages are.'),
  })
  .describe(
    'Whether this service may change the folder of every staged run a clear would remove, and the folder holding it; ' +
      'fails naming how many runs it cannot clear and the first one. It does not make the service not ready: other runs still clear.',
  );
const healthSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({
      staging_root: checkSchema,
      staging_root_writable: checkSchema,
      journal: checkSchema,
      staging_volume: volumeCheckSchema,
      run_permissions: runPermissionsCheckSchema,
    }),
    runs_as: z
      .object({ uid: z.int(), gid: z.int() })
      .optional()
      .describe('The user and group the service runs as (what file permissions must allow); shown as the messages are.'),
    folder_problems: z
      .int()
      .nullable()
      .optional()
      .describe(
        'How many equipment, project, Runs/ or TestRuns/ folders (or links where they would be) the listing cannot enter, ' +
          'each one of its problems; null when the staging root cannot be read, or while the service reads it for the first time. ' +
          'Shown as the messages are; not a readiness check.',
      ),
    index: z
      .object({
        mode: z.enum(['live', 'partly', 'scanning']),
        message: z.string(),
        watched_folders: z.int(),
        runs_read_each_time: z.int(),
        overflows: z.int(),
      })
      .optional()
      .describe(
        "How the service's index of the staging tree is kept fresh: live (the kernel's change notifications on every folder), " +
          'partly (some runs, or the folders above them, read again on every answer: the watch limit) or scanning (every answer ' +
          'walks the tree: notifications off, unavailable, or a network filesystem). Shown as the messages are; not a readiness check.',
      ),
  })
  .meta({ id: 'Health' });

export const healthRoute: FastifyPluginAsyncZod<{ health: HealthSource }> = async (app, { health }) => {
  app.get('/api/v1/health', {
    // Orchestrators probe whatever address they see; health shows no run.
    config: { scope: 'public', anyHost: true },
    schema: {
      summary: 'Liveness and readiness',
      operationId: 'getHealth',
      description:
        'Ready (200) when the staging root is readable, this service can create and remove entries in it, and the journal ' +
        'is writable; 503 names the failing check. With tokens configured, a caller without one sees only which checks ' +
        'pass: no paths, no messages; without tokens, so does a caller whose Host is not one this service serves (a page ' +
        'rebinding its own name to this machine). Answered from the latest check, made at most once a second in the background ' +
        '(a report more than 10 s old is never served); send Cache-Control: no-cache for a check now.',
      tags: ['operations'],
      security: [],
      response: { 200: healthSchema, 503: healthSchema },
    },
    handler: async (request, reply) => {
      const report = await health({ fresh: /no-cache/i.test(request.headers['cache-control'] ?? '') });
      reply.code(report.ready ? 200 : 503);
      const status = report.ready ? ('ready' as const) : ('not_ready' as const);
      if (request.authenticated) {
        return { status, checks: report.checks, runs_as: report.runs_as, folder_problems: report.folder_problems, index: report.index };
      }
      const { staging_root, staging_root_writable, journal, staging_volume, run_permissions } = report.checks;
      return {
        status,
        checks: {
          staging_root: { ok: staging_root.ok },
          staging_root_writable: { ok: staging_root_writable.ok },
          journal: { ok: journal.ok },
          staging_volume: { ok: staging_volume.ok },
          run_permissions: { ok: run_permissions.ok },
        },
      };
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
