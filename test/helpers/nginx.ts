// A real nginx (Debian's) in front of a service, serving it under a path
// prefix with the README's own `location` block: started on a free loopback
// port with a temporary prefix folder, logging requests as nginx does by
// default (the combined format), stopped by the caller.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeTempDir } from './stagingTree.ts';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((file) => fs.existsSync(file)) ?? null;
const README = path.join(import.meta.dirname, '..', '..', 'README.md');
// The upstream the README's block names, replaced by the service's address.
const README_UPSTREAM = 'http://127.0.0.1:8080/';

export interface Proxy {
  // The service's base URL through the proxy, e.g. http://127.0.0.1:PORT/cleanup
  base: string;
  // What nginx logged of the requests so far (its access log); after stop(),
  // of every request, each one logged as it ended.
  accessLog(): string;
  stop(): Promise<void>;
}

// The README's `location /cleanup/ { ... }` block, as written there.
export function readmeLocationBlock(): string {
  const block = fs.readFileSync(README, 'utf8').match(/```nginx\n(location \/cleanup\/ \{[\s\S]*?\n\})\n```/)?.[1];
  if (!block) throw new Error('README.md has no ```nginx block with location /cleanup/');
  return block;
}

export async function startNginx(upstream: string): Promise<Proxy> {
  if (!NGINX) throw new Error('no nginx found (apt-get install -y nginx)');
  const dir = makeTempDir('nginx-');
  const port = await freePort();
  const location = readmeLocationBlock().replaceAll(README_UPSTREAM, `${upstream.replace(/\/$/, '')}/`);
  const accessLog = path.join(dir, 'access.log');
  const temp = (name: string): string => `${name}_temp_path ${path.join(dir, name)};`;
  const conf = [
    // As root, workers would drop to nobody, who cannot write the temp folder.
    process.getuid?.() === 0 ? 'user root;' : '',
    'worker_processes 1;',
    `error_log ${path.join(dir, 'error.log')} warn;`,
    `pid ${path.join(dir, 'nginx.pid')};`,
    'events { worker_connections 256; }',
    'http {',
    `  access_log ${accessLog};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${temp(name)}`),
    `  server {\n    listen 127.0.0.1:${port};\n${location}\n  }`,
    '}',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const readLog = (): string => (fs.existsSync(accessLog) ? fs.readFileSync(accessLog, 'utf8') : '');
  let finalLog: string | null = null;
  // SIGQUIT: nginx finishes (and logs) the requests in flight before it exits.
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
    await exited;
    finalLog ??= readLog();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await listening(port, child);
  } catch (error) {
    await stop();
    throw new Error(`nginx did not start: ${(error as Error).message}\n${output}`, { cause: error });
  }
  return {
    base: `http://127.0.0.1:${port}/cleanup`,
    accessLog: () => finalLog ?? readLog(),
    stop,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// Resolves once nginx accepts connections on `port`; rejects if it exits first.
async function listening(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`it exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('it did not listen within 10 s');
}
