// buildApp: creates the Fastify instance with its server options (logger,
// request ids, limits, timeouts, the errors met before routing), registers
// the app (app.ts) on it and returns it ready, with no port, so that main.ts
// listens with it and every test gets a fresh one.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.ts';
import { MAX_RUN_PATH_LENGTH } from '../domain/runPath.ts';
import { serviceApp, type AppOptions, type Served } from './app.ts';
import { clientErrorHandler } from './clientErrors.ts';
import { capConnections } from './connectionCap.ts';
import { answerFrameworkError } from './errorEnvelope.ts';
import { traceIdOf } from './plugins/traceId.ts';
import { encodeRunPathInUrl, withoutApiTrailingSlash } from './runPathUrl.ts';

interface ServerOptions {
  logger: Logger;
  // What the app needs, how long a request may take to arrive, and how many
  // connections may be open, for how long idle.
  config: AppOptions['config'] & Pick<AppConfig, 'request_timeout_seconds' | 'http'>;
  heartbeatMs?: number;
}

const BODY_LIMIT = 1024 * 1024;
// The longest run path the domain takes, every byte percent-encoded (real
// ones, four names of at most 255 bytes under the root, are far shorter); a
// longer parameter is 414 uri_too_long.
const MAX_PARAM_LENGTH = 3 * MAX_RUN_PATH_LENGTH;
// How often Node looks for requests past their time (at most its default).
const TIMEOUT_CHECK_MS = 30_000;

export async function buildApp(served: Served, options: ServerOptions): Promise<FastifyInstance> {
  const { config } = options;
  const requestTimeoutMs = config.request_timeout_seconds * 1000;
  const logger = options.logger as FastifyBaseLogger;
  const server = Fastify({
    loggerInstance: logger,
    logController: new LogController({ requestIdLogLabel: 'trace_id' }),
    genReqId: traceIdOf,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Before routing (runPathUrl.ts), by the routes the app registered (`this` is the instance).
    rewriteUrl(request) {
      return encodeRunPathInUrl(withoutApiTrailingSlash(request.url ?? '/'), this.registeredRoutes);
    },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: clientErrorHandler(config.request_timeout_seconds, logger),
    // Headers and body must arrive within the time, or 408 request_timeout;
    // so a connection that never sends a request is closed then too.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: config.http.keep_alive_timeout_seconds * 1000,
    http: {
      // Node would answer an HTTP/1.1 request without Host with a bare 400;
      // hostCheck answers it in the envelope instead.
      requireHostHeader: false,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, requestTimeoutMs / 2),
    },
  }).withTypeProvider<ZodTypeProvider>();
  capConnections(server.server, config.http.max_connections, options.logger);
  // Not encapsulated: the app's plugins, hooks and decorations are the server's.
  await server.register(fp(serviceApp, { name: 'staging-cleanup' }), { served, config, heartbeatMs: options.heartbeatMs });
  await server.ready();
  return server;
}
