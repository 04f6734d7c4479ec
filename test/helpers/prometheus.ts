// Debian's Prometheus and promtool for the tests of ops/: promtool runs on
// the shipped files, and a real Prometheus on loopback (a free port, a
// temporary storage folder) scrapes a service and answers queries. Where
// they are missing the tests are skipped, saying why (.ci/run installs them).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe } from 'vitest';
import { parse } from 'yaml';
import { skipUnless } from './skipUnless.ts';

export const OPS = path.join(import.meta.dirname, '..', '..', 'ops');
export const PROMETHEUS_DIR = path.join(OPS, 'prometheus');
export const RULE_FILES = ['recording.yml', 'alerts.yml'].map((name) => path.join(PROMETHEUS_DIR, name));

const onPath = (command: string): boolean =>
  (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && fs.existsSync(path.join(dir, command)));
const WHY = 'Prometheus is not installed (apt-get install -y prometheus)';
export const describeWithPromtool = skipUnless(describe, onPath('promtool'), WHY);
export const describeWithPrometheus = skipUnless(describe, onPath('prometheus') && onPath('promtool'), WHY);

// promtool's exit status and everything it printed.
export function promtool(args: string[], input?: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', args, { cwd: PROMETHEUS_DIR }, (error, stdout, stderr) =>
      resolve({ ok: error === null, output: stdout + stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function rulesOf(file: string): Rule[] {
  const { groups } = parse(fs.readFileSync(file, 'utf8')) as { groups: Array<{ rules: Rule[] }> };
  return groups.flatMap((group) => group.rules);
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<Sample[]>;
  // The alerts pending or firing now.
  alerts(): Promise<Alert[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Starts Prometheus with `config` (an object written as its YAML file) in
// `dir`, and resolves once it is ready.
export async function startPrometheus(config: object, dir: string): Promise<RunningPrometheus> {
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  try {
    const deadline = Date.now() + 20_000;
    while (!(await fetch(`${url}/-/ready`).then((response) => response.ok, () => false))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Prometheus did not start:\n${output}`);
      await sleep(100);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const api = async <T>(query: string): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${query}`);
    const body = (await response.json()) as { status: string; error?: string; data?: T };
    if (body.status !== 'success' || !body.data) throw new Error(`${query}: ${body.error ?? response.status}`);
    return body.data;
  };
  return {
    url,
    stop,
    query: async (expr) => (await api<{ result: Sample[] }>(`query?${new URLSearchParams({ query: expr })}`)).result,
    alerts: async () => (await api<{ alerts: Alert[] }>('alerts')).alerts,
  };
}
