// Idle connections cannot take the service: at most http.max_connections
// are open (a connection beyond is closed at once), and idle ones are
// closed in time. Real sockets on loopback against the real server.
import http from 'node:http';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createAppHarness, listen } from '../helpers/appHarness.ts';
import { waitFor } from '../helpers/waitFor.ts';

const CAP = 20;
const CAPPED = { STAGING_CLEANUP_HTTP_MAX_CONNECTIONS: String(CAP), STAGING_CLEANUP_EVENTS_MAX_CLIENTS: '4' };

// The server's own count of open connections, and of those it closed at once.
function countConnections(app: FastifyInstance): { open: number; dropped: number } {
  const counts = { open: 0, dropped: 0 };
  app.server.on('connection', (socket: net.Socket) => {
    counts.open += 1;
    socket.on('close', () => (counts.open -= 1));
  });
  app.server.on('drop', () => (counts.dropped += 1));
  return counts;
}

interface Idle {
  socket: net.Socket;
  // Settles when the connection is closed, with what the server sent on it.
  closed: Promise<string>;
}

// A connection that sends `request` (nothing by default), then stays idle.
async function openIdle(url: string, request = ''): Promise<Idle> {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  // A connection the server closes at once may be reset.
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (request) socket.write(request);
  return { socket, closed };
}

async function openMany(url: string, count: number, request = ''): Promise<Idle[]> {
  const opened: Idle[] = [];
  for (let index = 0; index < count; index += 1) opened.push(await openIdle(url, request));
  return opened;
}

// Health on a connection of its own, closed after the answer.
function health(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/api/v1/health`, { agent: false, headers: { connection: 'close' } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
  });
}

const HEALTH_REQUEST = 'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

describe('connections', () => {
  it('closes a connection beyond http.max_connections at once, answers health while under it, and again once idle ones are gone', async () => {
    const h = await createAppHarness({ env: CAPPED });
    const counts = countConnections(h.app);
    const url = await listen(h);
    const idle = await openMany(url, CAP - 1);
    await waitFor(() => counts.open === CAP - 1);
    expect(await health(url)).toBe(200);
    await waitFor(() => counts.open === CAP - 1);
    idle.push(await openIdle(url));
    await waitFor(() => counts.open === CAP);
    const beyond = await openMany(url, 5);
    // Closed by the server, with nothing sent on them.
    expect(await Promise.all(beyond.map((extra) => extra.closed))).toEqual(['', '', '', '', '']);
    expect(counts).toEqual({ open: CAP, dropped: 5 });
    // Said once, not once a connection.
    const warnings = h.logs.filter((line) => String(line.msg).includes('(http.max_connections)'));
    expect(warnings).toEqual([expect.objectContaining({ level: 40, dropped: 1, max_connections: CAP })]);
    await expect(health(url)).rejects.toThrow();
    for (const { socket } of idle) socket.destroy();
    await waitFor(() => counts.open === 0);
    expect(await health(url)).toBe(200);
  });

  it('closes a connection that sends nothing after request_timeout_seconds (408), and one idle after an answer after http.keep_alive_timeout_seconds; then answers', async () => {
    const h = await createAppHarness({
      env: { ...CAPPED, STAGING_CLEANUP_REQUEST_TIMEOUT_SECONDS: '1', STAGING_CLEANUP_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: '1' },
    });
    const counts = countConnections(h.app);
    const url = await listen(h);
    const silent = await openMany(url, CAP);
    await waitFor(() => counts.open === CAP);
    for (const answer of await Promise.all(silent.map((idle) => idle.closed))) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('"code":"request_timeout"');
    }
    await waitFor(() => counts.open === 0);
    const kept = await openMany(url, CAP, HEALTH_REQUEST);
    for (const answer of await Promise.all(kept.map((idle) => idle.closed))) {
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toMatch(/\r\nkeep-alive: timeout=1\r\n/i);
    }
    await waitFor(() => counts.open === 0);
    expect(counts.dropped).toBe(0);
    expect(await health(url)).toBe(200);
  });
});
