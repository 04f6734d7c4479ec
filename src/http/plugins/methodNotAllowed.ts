// A path the API serves, asked with a method it does not take, is answered
// 405 with the methods it does take (Allow, RFC 9110 §15.5.6), not 404: the
// client learns it has the right resource and the wrong verb. Registered
// after every route, one hidden route per path for the methods it lacks:
// every method Node's parser hands on (OPTIONS, TRACE and WebDAV's PROPFIND
// too), on every path, the panel's too; not CORS's catch-all preflight, nor
// the Swagger UI plugin's own pages. A preflight of an origin in
// `cors_origins` is still answered by the CORS hook (crossOrigin.ts), before
// any route; any other OPTIONS reaches the 405.
import http from 'node:http';
import fp from 'fastify-plugin';
import { sendError } from '../errorEnvelope.ts';
import { API_ERRORS } from '../httpErrors.ts';

// The order the Allow header names them in.
const SERVED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
// Node never hands CONNECT to a request handler: a server without a
// 'connect' listener closes the connection.
const NOT_ROUTED = new Set(['CONNECT']);

export const methodNotAllowed = fp(
  async (app) => {
    // Fastify routes only the common methods unless told of the others;
    // without a body, so that a 405 never waits for one, nor parses it.
    for (const method of http.METHODS) {
      if (!NOT_ROUTED.has(method) && !app.supportedMethods.includes(method)) app.addHttpMethod(method);
    }
    const methodsByUrl = new Map<string, Set<string>>();
    for (const { method, url } of app.registeredRoutes) {
      if (url === '*' || url.startsWith('/docs')) continue;
      methodsByUrl.set(url, (methodsByUrl.get(url) ?? new Set()).add(method));
    }
    for (const [url, taken] of methodsByUrl) {
      const missing = app.supportedMethods.filter((method) => !taken.has(method));
      if (missing.length === 0) continue;
      const allow = SERVED_METHODS.filter((method) => taken.has(method)).join(', ');
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
