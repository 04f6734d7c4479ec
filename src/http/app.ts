// buildApp: a ready Fastify app over one staging root, with no port, so that
// main.ts listens with it and every test gets a fresh one.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { AppConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createRunLocks } from '../storage/runLock.ts';
import { createAsyncClears } from '../service/asyncClears.ts';
import { createCleanupService, type CleanupService, type CleanupServiceOptions } from '../service/cleanupService.ts';
import { JobRegistry } from '../service/jobs.ts';
import { startSweepScheduler } from '../service/sweepScheduler.ts';
import { registerAuth } from './auth.ts';
import { answerFrameworkError, registerErrorHandling } from './errorEnvelope.ts';
import { createMetrics } from './metrics.ts';
import { registerOpenApi } from './openapi.ts';
import { eventsRoute } from './routes/eventsRoute.ts';
import { jobRoutes } from './routes/jobRoutes.ts';
import { healthRoute, metricsRoute } from './routes/opsRoutes.ts';
import { stagingRoutes } from './routes/stagingRoutes.ts';
import { encodeRunPathInUrl } from './runPathUrl.ts';
import { registerTraceEcho, traceIdOf } from './traceId.ts';

export interface AppDeps {
  logger?: Logger;
  clock?: () => Date;
  pool?: CleanupServiceOptions['pool'];
  // How long a shutdown waits for running clears before leaving them resumable.
  shutdownGraceMs?: number;
  // How often the event stream sends a heartbeat comment.
  heartbeatMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    cleanup: CleanupService;
    // Every route as registered, for checking the OpenAPI document against.
    registeredRoutes: ReadonlyArray<{ method: string; url: string }>;
  }
}

const BODY_LIMIT = 1024 * 1024;
const HEARTBEAT_MS = 15_000;
// Run paths are long (absolute, percent-encoded); the domain bounds them.
const MAX_PARAM_LENGTH = 16 * 1024;

export async function buildApp(config: AppConfig, deps: AppDeps = {}): Promise<FastifyInstance> {
  const logger = deps.logger ?? createLogger(config.log_level, config.host_label);
  const clock = deps.clock ?? (() => new Date());
  const service = createCleanupService({
    stagingRoot: config.staging_root,
    journalDir: config.journal_dir,
    hostLabel: config.host_label,
    policy: { mode: config.staging_cleanup.mode, retainHours: config.staging_cleanup.retain_hours },
    verification: {
      localManifest: config.verify_before_clear.local_manifest,
      mtimeToleranceSeconds: config.verify_before_clear.mtime_tolerance_seconds,
      nas: config.verify_before_clear.nas,
      nasMounts: config.nas_mounts,
    },
    ingestMaxBytes: config.ingest_max_bytes,
    logger,
    clock,
    locks: createRunLocks({ staleMs: config.lock_stale_seconds * 1000, hostLabel: config.host_label, logger }),
    ...(deps.pool ? { pool: deps.pool } : {}),
  });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ requestIdLogLabel: 'trace_id' }),
    genReqId: traceIdOf,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    rewriteUrl: (request) => encodeRunPathInUrl(request.url ?? '/'),
    frameworkErrors: answerFrameworkError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Bodies are JSON; anything else is 415 rather than a string to validate.
  app.removeContentTypeParser('text/plain');
  app.decorate('cleanup', service);
  const routes: Array<{ method: string; url: string }> = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  registerErrorHandling(app);
  registerTraceEcho(app);
  await registerOpenApi(app);
  await app.register(healthRoute, { service });
  const registry = createMetrics(service);
  const asyncClears = createAsyncClears(
    service,
    new JobRegistry(clock, (runPath) => service.knownFileCount(runPath), logger),
  );
  // Everything below needs a token (when tokens are configured).
  await app.register(async (api) => {
    registerAuth(api, config.tokens);
    await api.register(stagingRoutes, { service, asyncClears });
    await api.register(jobRoutes, { asyncClears });
    await api.register(eventsRoute, { service, heartbeatMs: deps.heartbeatMs ?? HEARTBEAT_MS });
    await api.register(metricsRoute, { registry });
  });

  const scheduler =
    config.staging_cleanup.mode === 'scheduled'
      ? startSweepScheduler(service, config.sweep_interval_seconds * 1000, logger)
      : null;
  // While stopping, answers still in flight close their connection, so that
  // keep-alive clients do not hold the stop up until they time out.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    await scheduler?.stop();
    await service.close(deps.shutdownGraceMs);
  });
  await app.ready();
  return app;
}
