// The OpenAPI 3 document, generated from the route schemas that validate
// (@fastify/swagger with the zod transform), served at /openapi.json with
// Swagger UI at /docs.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';

// The security requirement of every route that needs a token.
export const TOKEN_REQUIRED = [{ bearerAuth: [] }];

export const API_VERSION = '1.0.0';

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ExLab staging cleanup service',
        description:
          'Decides which staged runs may be deleted, deletes them without losing data that is not safely on the NAS, and keeps a journal. Errors use the envelope {"error": {code, message, field?, details?, trace_id}}.',
        version: API_VERSION,
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      },
      tags: [
        { name: 'staging', description: 'Staged runs and the policy' },
        { name: 'clear', description: 'Clearing runs, and the journal' },
        { name: 'jobs', description: 'Asynchronous clears (Prefer: respond-async) and the event stream' },
        { name: 'operations', description: 'Health, metrics and this document' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', {
    config: { scope: 'public' },
    schema: {
      summary: 'This OpenAPI document',
      tags: ['operations'],
      security: [],
      response: { 200: z.record(z.string(), z.unknown()).describe('OpenAPI 3 document') },
    },
    handler: async () => app.swagger(),
  });
}
