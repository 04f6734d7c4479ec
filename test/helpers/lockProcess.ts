// Starts test/helpers/lockHolder.ts: a separate process that takes a run's
// lock, for tests that need a holder that lives, dies, or races.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface LockProcess {
  child: ChildProcess;
  // Resolves once the holder has printed this word ("ready", "locked", "busy").
  said(word: string): Promise<void>;
  output(): string;
  send(line: 'go' | 'release'): void;
  kill(): Promise<void>;
}

export function startLockHolder(runDir: string, staleMs: number, hostLabel?: string, options: { waitForGo?: boolean } = {}): LockProcess {
  const args = [runDir, String(staleMs), ...(hostLabel ? [hostLabel] : []), ...(options.waitForGo ? ['--wait-for-go'] : [])];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'lockHolder.ts'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters) waiter();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    child,
    said: (word) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (output.split('\n').includes(word)) resolve();
        };
        waiters.push(check);
        check();
      }),
    output: () => output,
    send: (line) => child.stdin?.write(`${line}\n`),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
