// Which web pages may call the API from a browser. Pages on the origins of
// `cors_origins` get CORS headers (@fastify/cors) and may clear; a page on any
// other origin gets no CORS headers (so it reads nothing), and a request of
// it that would change something is refused before it reaches a route
// (origin_not_allowed): a form or a no-cors fetch needs no CORS to be sent.
// A request without Origin and Sec-Fetch-Site (curl, services) is no page.
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sendError } from '../errorEnvelope.ts';
import { API_ERRORS } from '../httpErrors.ts';
import { changesState } from '../safeMethods.ts';
import { TRACE_HEADER } from './traceId.ts';

// What Sec-Fetch-Site says of a request from a page on another origin.
const FOREIGN_SITES = new Set(['cross-site', 'same-site']);
const PREFLIGHT_CACHE_SECONDS = 600;

export interface CrossOriginOptions {
  corsOrigins: readonly string[];
}

export const crossOrigin = fp<CrossOriginOptions>(
  async (app, { corsOrigins }) => {
    const allowed = new Set(corsOrigins);
    const options: FastifyCorsOptions = {
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Prefer', TRACE_HEADER],
      exposedHeaders: ['Location', 'Preference-Applied', 'Retry-After', 'Allow', TRACE_HEADER],
      maxAge: PREFLIGHT_CACHE_SECONDS,
    };
    const preflight = { ...options, preflight: true };
    const notPreflight = { ...options, preflight: false };
    // Only an OPTIONS that names the method it asks for is a preflight (Fetch
    // standard); any other OPTIONS goes on to its route: 405 with Allow
    // (methodNotAllowed.ts), in the envelope, rather than @fastify/cors's
    // 204 or its plain-text 400.
    await app.register(fastifyCors, {
      delegator: (request, callback) =>
        callback(null, request.headers['access-control-request-method'] === undefined ? notPreflight : preflight),
    });
    app.addHook('onRequest', async (request, reply) => {
      if (!changesState(request.method)) return;
      const foreign = foreignPage(request, allowed);
      if (foreign === null) return;
      return sendError(request, reply, {
        code: 'origin_not_allowed',
        message: API_ERRORS.origin_not_allowed.message({ page: foreign }),
        field: 'headers.origin',
      });
    });
  },
  { name: 'cross-origin' },
);

// The page a request comes from when that is neither this service nor an
// allowed origin; null when it may go on.
function foreignPage(request: FastifyRequest, allowed: ReadonlySet<string>): string | null {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (allowed.has(origin) || isOwnOrigin(origin, request.headers.host)) return null;
    return `a web page on ${origin.slice(0, 200)}`;
  }
  const site = request.headers['sec-fetch-site'];
  return typeof site === 'string' && FOREIGN_SITES.has(site) ? `a ${site} web page (Sec-Fetch-Site)` : null;
}

// The page was served by this service: its origin names the host asked for.
function isOwnOrigin(origin: string, host: string | undefined): boolean {
  const url = URL.parse(origin);
  return url !== null && host !== undefined && url.origin === origin && url.host === host.toLowerCase();
}
