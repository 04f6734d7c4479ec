// Starts the service: load the configuration, compose the program, build the
// app, listen, and stop gracefully on SIGTERM/SIGINT (running clears get a
// bounded time to finish; one cut short stays resumable by the next clear or
// sweep). What keeps it from starting is one line and a non-zero exit.
// First: a Node older than package.json's engines stops here (requireNode.ts).
import './requireNode.ts';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import pretty from 'pino-pretty';
import { ConfigError, isLoopback, loadConfig } from './config/load.ts';
import { compose } from './compose.ts';
import { buildApp } from './http/server.ts';
import { createLogger } from './logger.ts';
import { descriptorPathsWork } from './storage/dirHandle.ts';
import { displayUrl, listenFailure, missingStagingRoot, unwritableJournal } from './startupProblems.ts';

const SHUTDOWN_GRACE_MS = 25_000;

function refuseToStart(line: string): never {
  console.error(`staging-cleanup: ${line}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig({ argv: process.argv.slice(2) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const line of error.problems) console.error(`staging-cleanup: ${line}`);
    process.exit(2);
  }
  if (!descriptorPathsWork()) {
    refuseToStart('needs Linux with /proc mounted: it reads and writes ingest.json through /proc/self/fd.');
  }
  const { config, stagingRootIsDefault } = loaded;
  if (stagingRootIsDefault) fs.mkdirSync(config.staging_root, { recursive: true });
  const rootProblem = missingStagingRoot(config.staging_root);
  if (rootProblem) refuseToStart(rootProblem);
  // Readable lines on a terminal, JSON lines for a log collector.
  const logger = createLogger(config.log_level, config.host_label, process.stdout.isTTY ? pretty() : undefined);
  const program = compose(config, { logger });
  const health = await program.health();
  if (!health.checks.journal.ok) refuseToStart(unwritableJournal(config, health.checks.journal.message));
  if (!health.checks.staging_root_writable.ok) {
    logger.warn({ runs_as: health.runs_as }, `${health.checks.staging_root_writable.message}: clears will be refused`);
  }
  const app = await buildApp(program, { logger, config });
  // Before the first request or sweep: a clear this host's last process was
  // killed in the middle of resumes at once rather than after lock_stale_seconds.
  await program.lifecycle.reclaimDeadLocks();
  await program.lifecycle.warm();
  await app.listen({ host: config.listen.host, port: config.listen.port }).catch((error: NodeJS.ErrnoException) => {
    const why = listenFailure(config, error);
    if (why) refuseToStart(why);
    throw error;
  });
  program.lifecycle.readTreeInBackground();
  const url = displayUrl(config.listen.host, (app.server.address() as AddressInfo).port);
  logger.info(
    {
      url,
      panel: `${url}/`,
      docs: `${url}/docs`,
      staging_root: config.staging_root,
      journal_dir: config.journal_dir,
      mode: config.staging_cleanup.mode,
      retain_hours: config.staging_cleanup.retain_hours,
      config_file: loaded.configFile,
    },
    `staging cleanup service started: panel at ${url}/, API docs at ${url}/docs`,
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
        () => {
          logger.info({ signal }, 'stopped');
          process.exit(0);
        },
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
