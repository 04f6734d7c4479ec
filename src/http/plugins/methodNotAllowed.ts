// A path the API serves, asked with a method it does not take, is answered
// 405 with the methods it does take (Allow, RFC 9110 §15.5.6), not 404: the
// client learns it has the right resource and the wrong verb. Registered
// after every route, one hidden route per path for the methods it lacks:
// every path, the panel's too; not CORS's catch-all preflight, nor the
// Swagger UI plugin's own pages.
import type { HTTPMethods } from 'fastify';
import fp from 'fastify-plugin';
import { sendError } from '../errorEnvelope.ts';
import { API_ERRORS } from '../httpErrors.ts';

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export const methodNotAllowed = fp(
  async (app) => {
    const methodsByUrl = new Map<string, Set<string>>();
    for (const { method, url } of app.registeredRoutes) {
      if (url === '*' || url.startsWith('/docs')) continue;
      methodsByUrl.set(url, (methodsByUrl.get(url) ?? new Set()).add(method));
    }
    for (const [url, taken] of methodsByUrl) {
      const missing = METHODS.filter((method) => !taken.has(method));
      if (missing.length === 0) continue;
      const allow = METHODS.filter((method) => taken.has(method)).join(', ');
      app.route({
        method: missing,
        url,
        schema: { hide: true },
        handler: (request, reply) =>
          sendError(request, reply.header('allow', allow), {
            code: 'method_not_allowed',
            message: API_ERRORS.method_not_allowed.message({ method: request.method, allow }),
          }),
      });
    }
  },
  { name: 'method-not-allowed', dependencies: ['registered-routes'] },
);
