import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { EventStream } from '../../src/http/eventStream.ts';
import { createAppHarness, listen, READ_TOKEN, REAL_CLOCK, WITH_TOKENS } from '../helpers/appHarness.ts';
import { buildRunOfFiles } from '../helpers/bigRun.ts';
import { openEvents } from '../helpers/sseClient.ts';
import { makeRun } from '../helpers/stagingTree.ts';
import { waitFor } from '../helpers/waitFor.ts';

const ASYNC = { prefer: 'respond-async' };

// A client that asks for the stream and then reads nothing until told to.
function stalledClient(url: string): { socket: net.Socket; readAll: () => Promise<string> } {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  socket.pause();
  socket.write('GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const readAll = () =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.resume();
    });
  return { socket, readAll };
}

describe('GET /api/v1/events', () => {
  it('streams clear_progress, run_state and clear_done to several clients', async () => {
    const h = await createAppHarness({ clock: REAL_CLOCK });
    buildRunOfFiles(h.root, 'EQ/P/Runs/Run_1', 20_000);
    const url = await listen(h);
    const clients = [openEvents(`${url}/api/v1/events`), openEvents(`${url}/api/v1/events`)];
    expect(await Promise.all(clients.map((client) => client.status))).toEqual([200, 200]);
    const accepted = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_1/clear').set(ASYNC).expect(202);
    for (const client of clients) {
      await waitFor(() => client.events.some((e) => e.event === 'clear_done'), 150_000);
      const names = client.events.map((e) => e.event);
      expect(names[0]).toBe('run_state');
      expect(names.filter((name) => name === 'clear_progress').length).toBeGreaterThan(0);
      expect(names.at(-1)).toBe('clear_done');
      expect(client.events.at(-1)?.data).toMatchObject({
        run_path: 'EQ/P/Runs/Run_1',
        job_id: accepted.body.id,
        outcome: 'cleared',
        files_freed: 20_002,
        error: null,
      });
      expect(client.events[0]?.data).toEqual({ run_path: 'EQ/P/Runs/Run_1', from: 'sync_verified', to: 'cleared' });
      client.close();
    }
    // A 20,000-file run to build and clear: slow on a shared, loaded machine.
  }, 180_000);

  it('reports a refused clear as clear_done with its error', async () => {
    const h = await createAppHarness();
    makeRun(h.root, 'EQ/P/Runs/Run_q', { state: 'sync_queued' });
    const client = openEvents(`${await listen(h)}/api/v1/events`);
    await client.status;
    await h.http().post('/api/v1/staging/EQ/P/Runs/Run_q/clear').expect(409);
    await waitFor(() => client.events.length > 0);
    expect(client.events[0]).toMatchObject({
      event: 'clear_done',
      data: { outcome: 'refused', error: { code: 'staging_not_sync_verified' } },
    });
    client.close();
  });

  it('sends heartbeat comments while nothing happens', async () => {
    const h = await createAppHarness({ heartbeatMs: 50 });
    const client = openEvents(`${await listen(h)}/api/v1/events`);
    await client.status;
    await waitFor(() => client.comments.includes('heartbeat'));
    expect(client.events).toEqual([]);
    client.close();
  });

  it('takes the token as ?access_token= (never logged) and refuses without one', async () => {
    const h = await createAppHarness({ env: WITH_TOKENS });
    const url = await listen(h);
    const refused = openEvents(`${url}/api/v1/events`);
    expect(await refused.status).toBe(401);
    const allowed = openEvents(`${url}/api/v1/events?access_token=${READ_TOKEN}`);
    expect(await allowed.status).toBe(200);
    allowed.close();
    refused.close();
    expect(JSON.stringify(h.logs)).not.toContain(READ_TOKEN);
  });

  it('answers HEAD with 405 and Allow: GET, holding no client slot', async () => {
    const h = await createAppHarness();
    const head = await h.app.inject({ method: 'HEAD', url: '/api/v1/events' });
    expect(head.statusCode).toBe(405);
    expect(head.headers.allow).toBe('GET');
    expect(h.app.eventStreams.size).toBe(0);
  });

  it('refuses a client beyond events.max_clients with 503 event_clients_full and Retry-After', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_EVENTS_MAX_CLIENTS: '2' } });
    const url = await listen(h);
    const clients = [openEvents(`${url}/api/v1/events`), openEvents(`${url}/api/v1/events`)];
    expect(await Promise.all(clients.map((client) => client.status))).toEqual([200, 200]);
    const refused = await h.http().get('/api/v1/events').expect(503);
    expect(refused.headers['retry-after']).toBe('30');
    expect(refused.body.error).toMatchObject({ code: 'event_clients_full', message: expect.stringContaining('events.max_clients') });
    clients[0]?.close();
    await waitFor(() => h.app.eventStreams.size === 1);
    const again = openEvents(`${url}/api/v1/events`);
    expect(await again.status).toBe(200);
    again.close();
    clients[1]?.close();
  });

  it('drops a client that does not read once its backlog passes events.client_backlog_kib, with a last event saying why; clears go on', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_EVENTS_CLIENT_BACKLOG_KIB: '16' }, clock: REAL_CLOCK });
    buildRunOfFiles(h.root, 'EQ/P/Runs/Run_1', 2000);
    const url = await listen(h);
    const stalled = stalledClient(url);
    try {
      await waitFor(() => h.app.eventStreams.size === 1);
      const [stream] = [...h.app.eventStreams];
      // Events until the client's socket, kernel buffers included, is full
      // and the backlog passes its bound.
      const filler = 'x'.repeat(4096);
      let mostQueued = 0;
      for (let round = 0; !stream?.dropped; round += 1) {
        expect(round).toBeLessThan(500);
        for (let i = 0; i < 500 && !stream?.dropped; i += 1) {
          h.program.events.emit('run_state', { run_path: `${filler}${round}/${i}`, from: 'sync_verified', to: 'cleared' });
          mostQueued = Math.max(mostQueued, stream?.queuedBytes ?? 0);
        }
        await sleep(50);
      }
      expect(mostQueued).toBeGreaterThan(0);
      expect(mostQueued).toBeLessThanOrEqual(16 * 1024);
      expect(h.app.eventStreams.size).toBe(0);
      // A clear runs on, with nothing more sent to the dropped client.
      const answer = await h.http().post('/api/v1/staging/EQ/P/Runs/Run_1/clear').expect(200);
      expect(answer.body.files_freed).toBe(2002);
      expect(fs.existsSync(path.join(h.root, 'EQ/P/Runs/Run_1'))).toBe(false);
      const text = await stalled.readAll();
      const tail = text.slice(text.lastIndexOf('retry: '));
      const last = tail.slice(0, tail.indexOf('\n\n'));
      expect(last).toMatch(/^retry: \d+\nevent: dropped\ndata: /);
      expect(JSON.parse(last.slice(last.indexOf('data: ') + 6))).toMatchObject({
        reason: 'too_far_behind',
        message: expect.stringContaining('events.client_backlog_kib'),
      });
      expect(text).not.toContain('clear_progress');
      await h.http().get('/api/v1/health').expect(200);
    } finally {
      stalled.socket.destroy();
    }
  }, 120_000);
});

describe('EventStream (one client)', () => {
  it('writes straight through while the client keeps up', () => {
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    new EventStream(output, 1024, () => undefined).send('run_state', { run_path: 'a' });
    expect(chunks.join('')).toBe('event: run_state\ndata: {"run_path":"a"}\n\n');
  });

  it('keeps only the newest progress of a run while the client is behind', () => {
    const stream = new EventStream(new PassThrough({ highWaterMark: 1 }), 1024, () => undefined);
    stream.send('clear_progress', { files_freed: 0 }, 'run-a');
    for (let i = 1; i <= 10_000; i += 1) stream.send('clear_progress', { files_freed: i }, 'run-a');
    expect(stream.queuedBytes).toBe(Buffer.byteLength('event: clear_progress\ndata: {"files_freed":10000}\n\n'));
    expect(stream.dropped).toBe(false);
  });

  it('bounds its backlog in bytes: past the bound the client is dropped once, its last event saying why', async () => {
    const output = new PassThrough({ highWaterMark: 1 });
    let drops = 0;
    const stream = new EventStream(output, 1024, () => (drops += 1));
    stream.send('clear_done', { i: 0 });
    for (let i = 1; i < 100; i += 1) {
      stream.send('clear_done', { i, run_path: 'EQ/P/Runs/Run_with_a_longish_name' });
      expect(stream.queuedBytes).toBeLessThanOrEqual(1024);
    }
    expect(stream.dropped).toBe(true);
    expect(drops).toBe(1);
    const text = (await output.toArray()).join('');
    expect(text.startsWith('event: clear_done\ndata: {"i":0}\n\n')).toBe(true);
    expect(text).toMatch(/event: dropped\ndata: \{"reason":"too_far_behind".*\n\n$/);
    expect(text.match(/event: /g)).toHaveLength(2);
  });
});
