// Which error codes each route can answer, and their OpenAPI responses. A
// route declares the refusals of the service it calls (`config.errors`); the
// codes its own shape can give (a token, a body, parameters) are added here.
// Every error answer is checked against that list: one the route does not
// document is logged and kept in `app.undocumentedAnswers` (the tests fail on it).
import type { FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { detailsSchemaFor, retryAfterOf, statusOf, type ErrorCode } from '../httpErrors.ts';
import { changesState } from '../safeMethods.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    // The service's refusals this route can answer with.
    errors?: readonly ErrorCode[];
    // Every code it can answer with (set when the route is registered).
    answers?: readonly ErrorCode[];
  }
  interface FastifyInstance {
    undocumentedAnswers: Array<{ method: string; url: string; code: ErrorCode }>;
  }
}

// The codes a route's shape lets it answer, before its own refusals.
function shapeCodes(route: RouteOptions): ErrorCode[] {
  const schema = route.schema ?? {};
  const scope = route.config?.scope;
  const takesInput = Boolean(schema.querystring ?? schema.params ?? schema.body ?? schema.headers);
  return [
    ...(takesInput ? (['validation_error'] as const) : []),
    ...(schema.body ? (['malformed_json'] as const) : []),
    // Any request can be malformed (a URL badly percent-encoded, a request
    // line Node cannot parse), too large in its URL or headers, or too slow.
    'bad_request',
    'request_timeout',
    'uri_too_long',
    'headers_too_large',
    ...(scope === 'read' || scope === 'clear' ? (['unauthorized'] as const) : []),
    ...(scope === 'clear' ? (['forbidden'] as const) : []),
    ...(route.config?.anyHost ? [] : (['host_not_allowed'] as const)),
    ...([route.method].flat().some(changesState) ? (['origin_not_allowed'] as const) : []),
    ...(schema.body ? (['payload_too_large', 'unsupported_media_type', 'unsupported_content_encoding'] as const) : []),
    'internal_error',
  ];
}

// The documented error answers of a route, one schema per status, listing
// the codes the route can give with that status.
function errorResponses(codes: readonly ErrorCode[]): Record<number, z.ZodType> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => {
      const details = detailsSchemaFor(group);
      const error = z.object({
        code: z.enum(group as [ErrorCode, ...ErrorCode[]]),
        message: z.string(),
        field: z.string().optional(),
        ...(details ? { details: details.optional() } : {}),
        trace_id: z.string(),
      });
      const retried = group.filter((code) => retryAfterOf(code) !== undefined);
      const retry = retried.length > 0 ? ` (${retried.join(', ')}: with a Retry-After header, in seconds)` : '';
      return [status, z.object({ error }).describe(`Error: ${group.join(', ')}${retry}`)];
    }),
  );
}

export const documentedErrors = fp(
  async (app) => {
    app.decorate('undocumentedAnswers', []);
    app.addHook('onRoute', (route) => {
      // Only the API's own routes (the Swagger UI pages declare no scope).
      if (!route.config?.scope) return;
      const answers = [...new Set([...shapeCodes(route), ...(route.config.errors ?? [])])];
      route.config = { ...route.config, answers };
      const response = (route.schema?.response ?? {}) as Record<number, unknown>;
      route.schema = { ...route.schema, response: { ...errorResponses(answers), ...response } };
    });
  },
  { name: 'documented-errors' },
);

// Called for every error answer: one the route does not document is a bug.
export function noteAnswer(request: FastifyRequest, code: ErrorCode): void {
  const answers = request.routeOptions.config?.answers;
  if (!answers || answers.includes(code)) return;
  const { url = '' } = request.routeOptions;
  request.log.error({ code, route: url }, 'answered an error code the route does not document');
  request.server.undocumentedAnswers.push({ method: request.method, url, code });
}
