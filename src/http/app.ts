// The app: registers the cross-cutting plugins (plugins/) and the routes
// (routes/) over what the composition root (src/compose.ts) built. It builds
// nothing and listens nowhere; server.ts creates the Fastify instance for it.
import type { FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import type { AppConfig } from '../config/schema.ts';
import type { PolicySettings } from '../domain/policy.ts';
import type { AsyncClears } from '../service/asyncClears.ts';
import type { Capacity } from '../service/capacity.ts';
import type { Clears } from '../service/clears.ts';
import type { HealthSource } from '../service/lifecycle.ts';
import type { PressureSweep } from '../service/pressureSweep.ts';
import type { RunClearer } from '../service/runClearer.ts';
import type { RunQueries } from '../service/runQueries.ts';
import type { ServiceEvents } from '../service/serviceEvents.ts';
import type { EventStream } from './eventStream.ts';
import { auth } from './plugins/auth.ts';
import { closeWhenStopping } from './plugins/closeWhenStopping.ts';
import { contentEncoding } from './plugins/contentEncoding.ts';
import { crossOrigin } from './plugins/crossOrigin.ts';
import { documentedErrors } from './plugins/documentedErrors.ts';
import { errorHandling } from './plugins/errorHandling.ts';
import { hostCheck } from './plugins/hostCheck.ts';
import { methodNotAllowed } from './plugins/methodNotAllowed.ts';
import { openapi } from './plugins/openapi.ts';
import { registeredRoutes } from './plugins/registeredRoutes.ts';
import { requestMetrics } from './plugins/requestMetrics.ts';
import { securityHeaders } from './plugins/securityHeaders.ts';
import { traceId } from './plugins/traceId.ts';
import { capacityRoutes } from './routes/capacityRoutes.ts';
import { eventsRoute } from './routes/eventsRoute.ts';
import { jobRoutes } from './routes/jobRoutes.ts';
import { healthRoute, metricsRoute } from './routes/opsRoutes.ts';
import { panelRoutes } from './routes/panelRoutes.ts';
import { stagingRoutes } from './routes/stagingRoutes.ts';
import { whoamiRoute } from './routes/whoamiRoute.ts';

// What the app serves, as the composition root (src/compose.ts) built it.
export interface Served {
  policy: PolicySettings;
  events: ServiceEvents;
  runs: RunQueries;
  clearer: RunClearer;
  clears: Clears;
  capacity: Pick<Capacity, 'answer'>;
  relievePressure: PressureSweep;
  health: HealthSource;
  jobs: AsyncClears;
  metrics: Registry;
}

export interface AppOptions {
  served: Served;
  // Who may call, from where, under which host names; the event stream's limits.
  config: Pick<AppConfig, 'tokens' | 'listen' | 'allowed_hosts' | 'cors_origins' | 'events'>;
  // How often the event stream sends a heartbeat comment.
  heartbeatMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    // The event-stream clients connected now, with their backlogs.
    eventStreams: ReadonlySet<EventStream>;
  }
}

const HEARTBEAT_MS = 15_000;

export async function serviceApp(app: FastifyInstance, options: AppOptions): Promise<void> {
  const { served, config } = options;
  const { jobs, metrics } = served;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Bodies are JSON; anything else is 415 rather than a string to validate.
  app.removeContentTypeParser('text/plain');
  const eventStreams = new Set<EventStream>();
  app.decorate('eventStreams', eventStreams);
  await app.register(registeredRoutes);
  await app.register(errorHandling);
  await app.register(documentedErrors);
  await app.register(traceId);
  await app.register(requestMetrics, { registry: metrics });
  await app.register(contentEncoding);
  // A browser must not become a way in: foreign host names and pages first.
  await app.register(hostCheck, { listenHost: config.listen.host, allowedHosts: config.allowed_hosts });
  await app.register(crossOrigin, { corsOrigins: config.cors_origins });
  await app.register(securityHeaders);
  await app.register(openapi);
  await app.register(panelRoutes);
  // Everything below needs a token (when tokens are configured), except
  // health, which shows more to a caller with one.
  await app.register(async (api) => {
    await api.register(auth, { tokens: config.tokens });
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
  await app.register(methodNotAllowed);
  await app.register(closeWhenStopping);
}
