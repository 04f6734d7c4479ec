// GET /api/v1/whoami: who the caller is to this service and what it may do,
// and how the service clears, so that a client (the panel) can show the
// buttons a person may press, and say why others are off.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CLEANUP_MODES, type PolicySettings } from '../../domain/policy.ts';
import { TOKEN_REQUIRED as security } from '../plugins/openapi.ts';

export const whoamiSchema = z
  .object({
    actor: z.string().describe('The name logs and journal records give this caller (local without tokens).'),
    scope: z.enum(['read', 'clear']).describe('read: may look; clear: may also clear.'),
    mode: z.enum(CLEANUP_MODES).describe('manual: only operators clear; scheduled: the sweep clears what is due.'),
    retain_hours: z.int().describe('Hours a verified run is kept before the sweep may clear it (scheduled mode).'),
  })
  .meta({ id: 'Whoami' });

export const whoamiRoute: FastifyPluginAsyncZod<{ policy: PolicySettings }> = async (app, { policy }) => {
  app.get('/api/v1/whoami', {
    config: { scope: 'read' },
    schema: {
      summary: 'The caller and what it may do, and how the service clears',
      operationId: 'whoami',
      tags: ['operations'],
      security,
      response: { 200: whoamiSchema },
    },
    handler: async (request) => ({
      actor: request.actor,
      scope: request.grantedScope,
      mode: policy.mode,
      retain_hours: policy.retainHours,
    }),
  });
};
