// The built service (node dist/main.js) as a child process, for tests of
// start, stop and crash behaviour.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const MAIN = path.join(import.meta.dirname, '..', '..', 'dist', 'main.js');

// Node's options for the service, as the Dockerfile, the systemd unit and
// `npm start` give them (test/deployment.test.ts checks): a young generation
// of at most 2 MiB a semi-space instead of 16 (README, "Memory").
export const SERVICE_NODE_OPTIONS = ['--max-semi-space-size=2'];

export interface ServiceProcess {
  child: ChildProcess;
  // Resolves with the base URL once the service listens.
  listening: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
  logLines: () => Array<Record<string, unknown>>;
}

// The service must log at info level (the default): its "Server listening"
// line is how the caller learns the port. With keepOutput false, output is
// no longer kept once it listens (a load test makes a lot of it).
export interface StartOptions {
  keepOutput?: boolean;
  // A command that runs the service (e.g. ['prlimit', '--nofile=256:256']).
  wrapper?: string[];
  // Another copy of the built entry point (serviceCopy.ts).
  main?: string;
}

// Every service started and not yet exited, so that a test that fails or
// times out midway leaves no process behind (killStartedServices).
const running = new Set<ChildProcess>();

export function killStartedServices(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export function startService(env: Record<string, string>, cwd: string, options: StartOptions = {}): ServiceProcess {
  const [command = process.execPath, ...args] = [...(options.wrapper ?? []), process.execPath, ...SERVICE_NODE_OPTIONS, options.main ?? MAIN];
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', STAGING_CLEANUP_LISTEN_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  let resolveListening: (url: string) => void;
  let rejectListening: (error: Error) => void;
  const listening = new Promise<string>((resolve, reject) => {
    resolveListening = resolve;
    rejectListening = reject;
  });
  let listeningAt: string | null = null;
  const collect = (chunk: Buffer): void => {
    if (listeningAt && options.keepOutput === false) return;
    output += chunk.toString();
    listeningAt ??= output.match(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/)?.[1] ?? null;
    if (listeningAt) resolveListening(listeningAt);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // Awaited only by the tests that expect the service to start.
  listening.catch(() => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      rejectListening(new Error(`service exited (${code ?? signal}) before listening:\n${output}`));
      resolve({ code, signal });
    });
  });
  return {
    child,
    listening,
    exited,
    output: () => output,
    logLines: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
