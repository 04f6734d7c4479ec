// The staging volume: how full it is and what fills it (read), and the
// disk-pressure sweep asked for now (clear), which the sweep timer also runs.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { capacitySchema, pressureReportSchema } from '../../service/capacityAnswer.ts';
import type { Capacity } from '../../service/capacity.ts';
import type { PressureSweep } from '../../service/pressureSweep.ts';
import { TOKEN_REQUIRED as security } from '../plugins/openapi.ts';
import { dryRunBody, dryRunQuery } from './stagingRequests.ts';
import { clearOptionsOf } from './stagingRoutes.ts';

export const capacityRoutes: FastifyPluginAsyncZod<{ capacity: Pick<Capacity, 'answer'>; relievePressure: PressureSweep }> = async (
  app,
  { capacity, relievePressure },
) => {
  app.get('/api/v1/staging/capacity', {
    config: { scope: 'read', errors: ['staging_root_unavailable'] },
    schema: {
      summary: 'The staging volume: size, what fills it, forecast',
      operationId: 'getCapacity',
      description:
        'The volume holding staging_root (fstatvfs), the staged bytes by class, the bytes verified runs free in each ' +
        'hour of the next 7 days, the fill rate and time to full, and the disk-pressure policy when configured.',
      tags: ['staging'],
      security,
      response: { 200: capacitySchema },
    },
    handler: () => capacity.answer(),
  });

  app.post('/api/v1/staging/capacity/sweep', {
    config: {
      scope: 'clear',
      errors: ['pressure_not_configured', 'sweep_in_progress', 'staging_root_unavailable', 'shutting_down'],
    },
    schema: {
      summary: 'Make room now: the disk-pressure sweep',
      operationId: 'pressureSweep',
      description:
        'Past pressure.high_water_percent, clears verified runs oldest-verified first (never one verified less than ' +
        'pressure.min_retain_hours ago, never one a manual clear would refuse) until usage is at or under ' +
        'pressure.target_percent; journal actor `pressure`. Under the mark it clears nothing. With dry_run, says which ' +
        'runs it would clear and what that would free. The sweep timer runs the same in either mode.',
      tags: ['clear'],
      security,
      querystring: dryRunQuery,
      body: dryRunBody,
      response: { 200: pressureReportSchema },
    },
    handler: (request) => relievePressure(clearOptionsOf(request)),
  });
};
