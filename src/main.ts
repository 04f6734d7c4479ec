// Starts the service: load the configuration, compose the program, build the
// app, listen, and stop gracefully on SIGTERM/SIGINT (running clears get a bounded time to finish; one cut
// short stays resumable by the next clear or sweep).
import fs from 'node:fs';
import { ConfigError, isLoopback, loadConfig } from './config/load.ts';
import { compose } from './compose.ts';
import { buildApp } from './http/app.ts';
import { createLogger } from './logger.ts';
import { descriptorPathsWork } from './storage/dirHandle.ts';

const SHUTDOWN_GRACE_MS = 25_000;

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig({ argv: process.argv.slice(2) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
  if (!descriptorPathsWork()) {
    console.error('staging-cleanup needs Linux with /proc mounted: it reads and writes ingest.json through /proc/self/fd.');
    process.exit(2);
  }
  const { config, stagingRootIsDefault } = loaded;
  const logger = createLogger(config.log_level, config.host_label);
  if (stagingRootIsDefault) fs.mkdirSync(config.staging_root, { recursive: true });
  const program = compose(config, { logger });
  const app = await buildApp(program, { logger, config });
  // Before the first request or sweep: a clear this host's last process was
  // killed in the middle of resumes at once rather than after lock_stale_seconds.
  await program.service.reclaimDeadLocks();
  await program.service.warm();
  await app.listen({ host: config.listen.host, port: config.listen.port });
  logger.info(
    {
      staging_root: config.staging_root,
      journal_dir: config.journal_dir,
      mode: config.staging_cleanup.mode,
      retain_hours: config.staging_cleanup.retain_hours,
      config_file: loaded.configFile,
    },
    'staging cleanup service started',
  );
  if (config.tokens.length === 0 && isLoopback(config.listen.host)) {
    logger.warn('no tokens configured: listening on loopback only, every local caller may clear runs');
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now; interrupted clears stay resumable');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: no new requests; waiting for running clears');
    // The app first (no new requests; answers in flight are sent), then the
    // program (running clears get the grace time, then the workers stop).
    app
      .close()
      .then(() => program.close(SHUTDOWN_GRACE_MS))
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
