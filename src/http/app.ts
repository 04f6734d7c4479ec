// buildApp: a ready Fastify app serving what the composition root built
// (src/compose.ts), with no port, so that main.ts listens with it and every
// test gets a fresh one. It builds nothing but the app.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.ts';
import { MAX_RUN_PATH_LENGTH } from '../domain/runPath.ts';
import type { Registry } from 'prom-client';
import type { PolicySettings } from '../domain/policy.ts';
import type { AsyncClears } from '../service/asyncClears.ts';
import type { Capacity } from '../service/capacity.ts';
import type { Clears } from '../service/clears.ts';
import type { HealthQuery } from '../service/healthCache.ts';
import type { HealthReport } from '../service/lifecycle.ts';
import type { PressureSweep } from '../service/pressureSweep.ts';
import type { RunClearer } from '../service/runClearer.ts';
import type { RunQueries } from '../service/runQueries.ts';
import type { ServiceEvents } from '../service/serviceEvents.ts';
import { registerAuth } from './auth.ts';
import { registerCrossOrigin } from './crossOrigin.ts';
import { clientErrorHandler } from './clientErrors.ts';
import { registerContentEncodingCheck } from './contentEncoding.ts';
import { answerFrameworkError, registerErrorHandling } from './errorEnvelope.ts';
import type { EventStream } from './eventStream.ts';
import { registerDocumentedErrors } from './errorResponses.ts';
import { registerHostCheck, servedHostNames } from './hostCheck.ts';
import { answerOtherMethods } from './methodNotAllowed.ts';
import { registerOpenApi } from './openapi.ts';
import { panelRoutes } from './panelRoutes.ts';
import { registerRequestMetrics } from './requestMetrics.ts';
import { capacityRoutes } from './routes/capacityRoutes.ts';
import { eventsRoute } from './routes/eventsRoute.ts';
import { jobRoutes } from './routes/jobRoutes.ts';
import { healthRoute, metricsRoute } from './routes/opsRoutes.ts';
import { stagingRoutes } from './routes/stagingRoutes.ts';
import { whoamiRoute } from './routes/whoamiRoute.ts';
import { encodeRunPathInUrl, withoutApiTrailingSlash } from './runPathUrl.ts';
import { registerSecurityHeaders } from './securityHeaders.ts';
import { registerTraceEcho, traceIdOf } from './traceId.ts';

// What the app serves, as the composition root (src/compose.ts) built it.
export interface Served {
  policy: PolicySettings;
  events: ServiceEvents;
  runs: RunQueries;
  clearer: RunClearer;
  clears: Clears;
  capacity: Pick<Capacity, 'answer'>;
  relievePressure: PressureSweep;
  health: (query?: HealthQuery) => Promise<HealthReport>;
  jobs: AsyncClears;
  metrics: Registry;
}

interface AppOptions {
  logger: Logger;
  // Who may call, from where, under which host names; the app's limits.
  config: Pick<AppConfig, 'tokens' | 'listen' | 'allowed_hosts' | 'cors_origins' | 'events' | 'request_timeout_seconds'>;
  // How often the event stream sends a heartbeat comment.
  heartbeatMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    // Every route as registered, for checking the OpenAPI document against
    // (`hidden`: left out of it on purpose, as the panel's files are).
    registeredRoutes: ReadonlyArray<RegisteredRoute>;
    // The event-stream clients connected now, with their backlogs.
    eventStreams: ReadonlySet<EventStream>;
  }
}

interface RegisteredRoute {
  method: string;
  url: string;
  hidden: boolean;
}

const BODY_LIMIT = 1024 * 1024;
const HEARTBEAT_MS = 15_000;
// The longest run path the domain takes, every byte percent-encoded (real
// ones, four names of at most 255 bytes under the root, are far shorter); a
// longer parameter is 414 uri_too_long.
const MAX_PARAM_LENGTH = 3 * MAX_RUN_PATH_LENGTH;
// How often Node looks for requests past their time (at most its default).
const TIMEOUT_CHECK_MS = 30_000;

export async function buildApp(served: Served, options: AppOptions): Promise<FastifyInstance> {
  const { jobs, metrics } = served;
  const { config } = options;
  const routes: RegisteredRoute[] = [];
  const requestTimeoutMs = config.request_timeout_seconds * 1000;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    logController: new LogController({ requestIdLogLabel: 'trace_id' }),
    genReqId: traceIdOf,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    rewriteUrl: (request) => encodeRunPathInUrl(withoutApiTrailingSlash(request.url ?? '/'), routes),
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: clientErrorHandler(config.request_timeout_seconds, options.logger as FastifyBaseLogger),
    // Headers and body must arrive within the time, or 408 request_timeout.
    requestTimeout: requestTimeoutMs,
    http: {
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_MS, requestTimeoutMs / 2),
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Bodies are JSON; anything else is 415 rather than a string to validate.
  app.removeContentTypeParser('text/plain');
  app.decorate('registeredRoutes', routes);
  const eventStreams = new Set<EventStream>();
  app.decorate('eventStreams', eventStreams);
  app.addHook('onRoute', (route) => {
    const hidden = route.schema?.hide === true;
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, hidden });
  });
  registerErrorHandling(app);
  registerDocumentedErrors(app);
  registerTraceEcho(app);
  registerRequestMetrics(app, metrics);
  registerContentEncodingCheck(app);
  // A browser must not become a way in: foreign host names and pages first.
  registerHostCheck(app, servedHostNames(config.listen.host, config.allowed_hosts));
  await registerCrossOrigin(app, config.cors_origins);
  await registerSecurityHeaders(app);
  await registerOpenApi(app);
  await app.register(panelRoutes);
  // Everything below needs a token (when tokens are configured), except
  // health, which shows more to a caller with one.
  await app.register(async (api) => {
    registerAuth(api, config.tokens);
    await api.register(healthRoute, { health: served.health });
    await api.register(whoamiRoute, { policy: served.policy });
    await api.register(stagingRoutes, { runs: served.runs, clearer: served.clearer, clears: served.clears, jobs });
    await api.register(capacityRoutes, { capacity: served.capacity, relievePressure: served.relievePressure });
    await api.register(jobRoutes, { jobs });
    await api.register(eventsRoute, {
      events: served.events,
      heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
      limits: { maxClients: config.events.max_clients, maxBacklogBytes: config.events.client_backlog_kib * 1024 },
      open: eventStreams,
    });
    await api.register(metricsRoute, { registry: metrics });
  });
  // Every path, the panel's too; not CORS's catch-all preflight, nor the
  // Swagger UI plugin's own pages.
  answerOtherMethods(app, routes.filter((route) => route.url !== '*' && !route.url.startsWith('/docs')));

  // While stopping, answers still in flight close their connection, so that
  // keep-alive clients do not hold the stop up until they time out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  await app.ready();
  return app;
}
