// A composed program and its app (compose, buildApp) over a fresh temporary staging root, with its log
// lines captured, closed after the test.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, afterEach, expect } from 'vitest';
import type { AppConfig } from '../../src/config/schema.ts';
import { compose, type Program } from '../../src/compose.ts';
import { buildApp } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { createTreeWorkerPool } from '../../src/storage/engine/treeWorkerPool.ts';
import { loadTestConfig } from './harnessConfig.ts';
import { makeTempDir } from './stagingTree.ts';

export const CLEAR_TOKEN = 'clear-token-0123456789abcdef';
export const READ_TOKEN = 'read-token-0123456789abcdef';

export interface AppHarness {
  app: FastifyInstance;
  program: Program;
  config: AppConfig;
  root: string;
  journalDir: string;
  logs: Array<Record<string, unknown>>;
  http: () => supertest.Agent;
}

const open: Array<{ app: FastifyInstance; program: Program; base: string }> = [];
// One pool of tree workers per test file: starting workers under tsx is slow.
const pool = createTreeWorkerPool();

afterEach(async () => {
  const undocumented = [];
  for (const { app, program, base } of open.splice(0)) {
    undocumented.push(...app.undocumentedAnswers);
    await app.close();
    await program.close(2000);
    fs.rmSync(base, { recursive: true, force: true });
  }
  // Every error an app answered is one its route documents (plugins/documentedErrors.ts).
  expect(undocumented).toEqual([]);
});
afterAll(() => pool.close());

export interface AppHarnessOptions {
  env?: Record<string, string>;
  clock?: () => Date;
  heartbeatMs?: number;
}

export async function createAppHarness(options: AppHarnessOptions = {}): Promise<AppHarness> {
  const base = makeTempDir();
  const root = path.join(base, 'staging');
  const journalDir = path.join(base, 'journal');
  fs.mkdirSync(root);
  const config = loadTestConfig(root, journalDir, options.env);
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', config.host_label, {
    write: (line: string) => {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const program = compose(config, { logger, pool, clock: options.clock ?? (() => new Date('2026-04-20T12:00:00Z')) });
  const app = await buildApp(program, {
    logger,
    config,
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
  });
  open.push({ app, program, base });
  return { app, program, config, root, journalDir, logs, http: () => supertest.agent(app.server) };
}

// For runs built by bigRun.ts, verified at the end of their build.
export const REAL_CLOCK = (): Date => new Date();

// Asks health for a check now rather than its latest report (healthCache.ts).
export const FRESH_HEALTH = { 'cache-control': 'no-cache' };

// The auth environment of a service with one clear and one read token.
export const WITH_TOKENS = {
  STAGING_CLEANUP_TOKENS: JSON.stringify([
    { token: CLEAR_TOKEN, scope: 'clear', name: 'wizard-panel' },
    { token: READ_TOKEN, scope: 'read', name: 'grafana' },
  ]),
};

// A pressure policy whose marks a test volume does not reach: its gauges
// are exported, and the pressure sweep has nothing to do.
export const FAR_PRESSURE_MARKS = {
  STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '99',
  STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '98',
};

// Listens on a free loopback port, for clients that need a real socket.
export async function listen(h: AppHarness): Promise<string> {
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}
