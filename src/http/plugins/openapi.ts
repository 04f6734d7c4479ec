// The OpenAPI 3 document, generated from the route schemas that validate
// (@fastify/swagger with the zod transform), served at /openapi.json with
// Swagger UI at /docs (under its own Content-Security-Policy). Behind a
// reverse proxy that serves the service under a path, the proxy says which
// (X-Forwarded-Prefix): the document's server is then that path, so that
// Swagger UI's "Try it out" calls go through the proxy too.
import fs from 'node:fs';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DOCS_CSP } from './securityHeaders.ts';

// The security requirement of every route that needs a token.
export const TOKEN_REQUIRED = [{ bearerAuth: [] }];

// The document's version is the package's: one number for the service and its API.
const { version: API_VERSION } = JSON.parse(
  fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string };

export const openapi = fp(
  async (app) => {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'ExLab staging cleanup service',
          description:
            'Decides which staged runs may be deleted, deletes them without losing data that is not safely on the NAS, and keeps a journal. Errors use the envelope {"error": {code, message, field?, details?, trace_id}}; each operation lists the codes it can answer. ' +
            'A path or method that is not listed here answers 404 route_not_found, and a URL that is not validly percent-encoded 400 bad_request.',
          version: API_VERSION,
        },
        // Relative: the document is served by the service it describes.
        servers: [{ url: '/', description: 'This service' }],
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
      transformObject: (input) => withoutUnusedSchemas(jsonSchemaTransformObject(input)),
    });
    await app.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      staticCSP: DOCS_CSP,
      transformSpecification: (document, request) => withServerFor(document, request),
    });
    // Swagger UI's page names its files relative to /docs/ only (at /docs it
    // names them from the root, which a path prefix breaks): a relative redirect.
    app.addHook('onRequest', async (request, reply) => {
      const [pathName, query] = splitQuery(request.url);
      if (pathName === '/docs' && request.method === 'GET') return reply.redirect(`docs/${query}`);
    });
    app.get('/openapi.json', {
      config: { scope: 'public' },
      schema: {
        summary: 'This OpenAPI document',
        operationId: 'getOpenApi',
        tags: ['operations'],
        security: [],
        response: { 200: z.record(z.string(), z.unknown()).describe('OpenAPI 3 document') },
      },
      handler: async (request) => withServerFor(app.swagger(), request),
    });
  },
  { name: 'openapi' },
);

// A path of plain segments, as a proxy's X-Forwarded-Prefix names one.
const PATH_PREFIX = /^(\/[A-Za-z0-9._~-]+)+\/?$/;

// The document with the server its reader reached it through: the proxy's
// path prefix, when it names one, else this service's root.
function withServerFor<T extends object>(document: T, request: FastifyRequest): T {
  const prefix = request.headers['x-forwarded-prefix'];
  if (typeof prefix !== 'string' || !PATH_PREFIX.test(prefix)) return document;
  return { ...document, servers: [{ url: prefix.replace(/\/$/, ''), description: 'This service, through its proxy' }] };
}

function splitQuery(url: string): [string, string] {
  const at = url.indexOf('?');
  return at === -1 ? [url, ''] : [url.slice(0, at), url.slice(at)];
}

type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;

// The zod transform emits an input twin of every schema; only those some
// operation refers to are kept, so that the document lists no unused component.
function withoutUnusedSchemas(document: OpenApiDocument): OpenApiDocument {
  const components = (document as { components?: { schemas?: Record<string, unknown> } }).components;
  const schemas = components?.schemas;
  if (!components || !schemas) return document;
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    const refs = JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g);
    for (const [, name] of refs) {
      if (name && !used.has(name)) {
        used.add(name);
        visit(schemas[name]);
      }
    }
  };
  visit({ ...document, components: { ...components, schemas: {} } });
  components.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return document;
}
