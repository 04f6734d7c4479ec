import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { errorHandling } from '../../src/http/plugins/errorHandling.ts';
import { createAppHarness, listen } from '../helpers/appHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

const RUN = 'EQ/P/Runs/Run_1';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string; trace_id: string } };
}

// Sends bytes as they are (no client would send them) and reads the answer
// until the service closes the connection.
function sendRaw(url: string, request: string): Promise<RawAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as RawAnswer['body'] });
    });
  });
}

function expectEnvelope(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(answer.body).toEqual({ error: { code, message: expect.any(String), trace_id: answer.headers['x-trace-id'] } });
  expect(answer.body.error.message).not.toBe('Client Error');
}

describe('the error envelope', () => {
  it('answers malformed JSON with 400 malformed_json', async () => {
    const h = await createAppHarness();
    const response = await h
      .http()
      .post('/api/v1/staging/clear')
      .set('content-type', 'application/json')
      .send('{"run_paths": [')
      .expect(400);
    expect(response.body).toEqual({
      error: { code: 'malformed_json', message: expect.any(String), trace_id: response.headers['x-trace-id'] },
    });
  });

  it('answers a body with a __proto__ or constructor.prototype key with 400 malformed_json whose message names such keys', async () => {
    const h = await createAppHarness();
    for (const body of ['{"run_paths": [], "__proto__": {"x": 1}}', '{"constructor": {"prototype": {"x": 1}}, "run_paths": []}']) {
      const response = await h.http().post('/api/v1/staging/clear').set('content-type', 'application/json').send(body).expect(400);
      expect(response.body.error).toMatchObject({ code: 'malformed_json', message: expect.stringContaining('__proto__') });
    }
  });

  it('answers an empty JSON body with 400 malformed_json', async () => {
    const h = await createAppHarness();
    const response = await h.http().post('/api/v1/staging/clear').set('content-type', 'application/json').expect(400);
    expect(response.body.error.code).toBe('malformed_json');
  });

  it('answers a body that is not JSON with 415 unsupported_media_type', async () => {
    const h = await createAppHarness();
    const response = await h
      .http()
      .post('/api/v1/staging/clear')
      .set('content-type', 'text/plain')
      .send('run_paths=x')
      .expect(415);
    expect(response.body.error.code).toBe('unsupported_media_type');
  });

  it('answers a body with a Content-Encoding it does not decode with 415 unsupported_content_encoding, deleting nothing', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const plain = JSON.stringify({ run_paths: [RUN] });
    // A plain body labelled gzip is not read as plain either.
    for (const [encoding, body] of [
      ['gzip', gzipSync(plain)],
      ['br', plain],
      ['identity, gzip', plain],
    ] as const) {
      const response = await h
        .http()
        .post('/api/v1/staging/clear')
        .set('content-type', 'application/json')
        .set('content-encoding', encoding)
        .send(Buffer.from(body))
        .expect(415);
      expect(response.body.error).toMatchObject({ code: 'unsupported_content_encoding', field: 'headers.content-encoding' });
      expect(response.body.error.message).toContain(encoding);
    }
    expect(fs.existsSync(path.join(h.root, RUN))).toBe(true);
    const identity = await h
      .http()
      .post(`/api/v1/staging/${RUN}/clear`)
      .set('content-type', 'application/json')
      .set('content-encoding', 'Identity')
      .send(JSON.stringify({ dry_run: true }))
      .expect(200);
    expect(identity.body.outcome).toBe('would_clear');
  });

  it('answers unknown body fields with 400 validation_error naming the field', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const response = await h.http().post(`/api/v1/staging/${RUN}/clear`).send({ dry_run: true, force: true }).expect(400);
    expect(response.body.error).toMatchObject({ code: 'validation_error', field: 'body' });
    expect(response.body.error.message).toContain('force');
  });

  it('answers a wrongly typed field with 400 validation_error naming it', async () => {
    const h = await createAppHarness();
    const response = await h.http().post('/api/v1/staging/clear').send({ run_paths: [1] }).expect(400);
    expect(response.body.error).toMatchObject({ code: 'validation_error', field: 'body.run_paths.0' });
  });

  it('answers a body over the limit with 413 payload_too_large', async () => {
    const h = await createAppHarness();
    const huge = { run_paths: Array.from({ length: 800 }, (_, i) => `EQ/P/Runs/Run_${i}_${'x'.repeat(1500)}`) };
    const response = await h.http().post('/api/v1/staging/clear').send(huge).expect(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('answers an unknown route with 404 route_not_found, and a known path with another method with 405 and Allow', async () => {
    const h = await createAppHarness();
    const unknown = await h.http().get('/api/v2/nothing').expect(404);
    expect(unknown.body.error.code).toBe('route_not_found');
    expect(unknown.body.error.message).toContain('GET /api/v2/nothing');
    const wrongMethod = await h.http().delete('/api/v1/staging').expect(405);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD');
    expect(wrongMethod.body.error).toMatchObject({ code: 'method_not_allowed' });
    expect(wrongMethod.body.error.message).toContain('DELETE');
  });

  it('answers OPTIONS, TRACE and PROPFIND on every path it serves with 405 method_not_allowed and the Allow of that path', async () => {
    const h = await createAppHarness();
    const urls = new Set(h.app.registeredRoutes.map((route) => route.url).filter((url) => url !== '*' && !url.startsWith('/docs')));
    const concrete = (url: string): string => url.replace(':run_path', RUN).replace(':id', 'job-1').replace('*', 'x');
    // No route anywhere takes PATCH: its Allow is the path's own.
    const allowOf = async (url: string): Promise<string> => (await h.app.inject({ method: 'PATCH', url })).headers.allow as string;
    expect(urls.size).toBeGreaterThan(15);
    for (const url of [...urls].map(concrete)) {
      const allow = await allowOf(url);
      expect(allow, url).toMatch(/^(GET|HEAD|POST)(, (GET|HEAD|POST))*$/);
      for (const method of ['OPTIONS', 'TRACE', 'PROPFIND'] as const) {
        const answer = await h.app.inject({ method: method as 'GET', url });
        expect(answer.statusCode, `${method} ${url}`).toBe(405);
        expect(answer.headers.allow, `${method} ${url}`).toBe(allow);
        expect(answer.json().error).toEqual({
          code: 'method_not_allowed',
          message: `This path does not take ${method}; it takes ${allow} (see /docs).`,
          trace_id: answer.headers['x-trace-id'],
        });
      }
    }
    expect(await allowOf('/api/v1/staging')).toBe('GET, HEAD');
    expect(await allowOf(`/api/v1/staging/${RUN}/clear`)).toBe('POST');
    expect(await allowOf('/api/v1/events')).toBe('GET');
    expect(await allowOf('/')).toBe('GET, HEAD');
    const unknown = await h.app.inject({ method: 'OPTIONS', url: '/api/v2/nothing' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('route_not_found');
  });

  it('answers TRACE over a real socket with 405 in the envelope, never echoing the request', async () => {
    const h = await createAppHarness();
    const answer = await sendRaw(
      await listen(h),
      'TRACE /api/v1/staging HTTP/1.1\r\nHost: 127.0.0.1\r\nMax-Forwards: 0\r\nX-Secret: echo-me\r\nConnection: close\r\n\r\n',
    );
    expectEnvelope(answer, 405, 'method_not_allowed');
    expect(answer.headers.allow).toBe('GET, HEAD');
    expect(answer.headers['content-type']).not.toContain('message/http');
    expect(JSON.stringify(answer.body)).not.toContain('echo-me');
  });

  it('masks an unexpected error as 500 internal_error with no stack, and logs it', async () => {
    const app = Fastify();
    await app.register(errorHandling);
    app.get('/boom', async () => {
      throw new Error('secret detail at /srv/internal/path');
    });
    const response = await app.inject('/boom');
    expect(response.statusCode).toBe(500);
    const body = response.json();
    expect(body.error.code).toBe('internal_error');
    expect(response.body).not.toContain('secret detail');
    expect(response.body).not.toContain('at ');
    expect(body.error.message).toContain(body.error.trace_id);
    await app.close();
  });
});

describe("Node's own client errors, in the envelope with their documented code", () => {
  it('answers a malformed request line with 400 bad_request', async () => {
    const h = await createAppHarness();
    const answer = await sendRaw(await listen(h), 'GARBAGE\r\n\r\n');
    expectEnvelope(answer, 400, 'bad_request');
    expect(answer.body.error.message).toContain('not valid HTTP/1.1');
  });

  it('answers an HTTP/1.1 request without Host, or any with two, with 400 bad_request naming the header, health included, and HTTP/1.0 without Host as a name not served', async () => {
    const h = await createAppHarness();
    const url = await listen(h);
    for (const route of ['/api/v1/health', '/api/v1/staging']) {
      const answer = await sendRaw(url, `GET ${route} HTTP/1.1\r\nConnection: close\r\n\r\n`);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: { code: 'bad_request', field: 'headers.host', message: expect.stringContaining('no Host header'), trace_id: answer.headers['x-trace-id'] },
      });
    }
    const several = await sendRaw(url, 'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
    expect([several.status, several.body.error.code, several.body.error.message]).toEqual([400, 'bad_request', expect.stringContaining('more than one Host')]);
    const unnamed = await sendRaw(url, 'GET /api/v1/staging HTTP/1.0\r\n\r\n');
    expect([unnamed.status, unnamed.body.error.code]).toEqual([421, 'host_not_allowed']);
    expect((await sendRaw(url, 'GET /api/v1/health HTTP/1.0\r\n\r\n')).status).toBe(200);
  });

  it('answers headers over 16 KiB with 431 headers_too_large, and a request line over 16 KiB with 414 uri_too_long', async () => {
    const h = await createAppHarness();
    const url = await listen(h);
    const headers = await sendRaw(url, `GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectEnvelope(headers, 431, 'headers_too_large');
    const line = await sendRaw(url, `GET /api/v1/staging/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expectEnvelope(line, 414, 'uri_too_long');
  });

  it('answers a run path parameter longer than any run path, encoded, with 414 uri_too_long', async () => {
    const h = await createAppHarness();
    const response = await h.http().get(`/api/v1/staging/EQ%2FP%2FRuns%2FRun_${'a'.repeat(13_000)}/eligibility`).expect(414);
    expect(response.body.error).toMatchObject({ code: 'uri_too_long', trace_id: response.headers['x-trace-id'] });
  });

  it('answers a request not received whole within request_timeout_seconds with 408 request_timeout', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_REQUEST_TIMEOUT_SECONDS: '1' } });
    const url = await listen(h);
    const body = await sendRaw(
      url,
      'POST /api/v1/staging/clear HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"run_',
    );
    expectEnvelope(body, 408, 'request_timeout');
    expect(body.body.error.message).toContain('1 s');
    const headers = await sendRaw(url, 'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expectEnvelope(headers, 408, 'request_timeout');
  });
});

describe('X-Trace-Id', () => {
  it('echoes the trace id in the header, the envelope and every log line of the request', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const cleared = await h.http().post(`/api/v1/staging/${RUN}/clear`).set('x-trace-id', 'panel-42').expect(200);
    expect(cleared.headers['x-trace-id']).toBe('panel-42');
    const lines = h.logs.filter((line) => line.trace_id === 'panel-42');
    expect(lines.map((line) => line.msg)).toEqual(['incoming request', 'run cleared', 'request completed']);
    const refused = await h.http().post(`/api/v1/staging/${RUN}/clear`).set('x-trace-id', 'panel-43').send('x').expect(415);
    expect(refused.body.error.trace_id).toBe('panel-43');
  });

  it('generates a trace id when none is sent, or when the one sent is not a sane identifier', async () => {
    const h = await createAppHarness();
    const plain = await h.http().get('/api/v1/health').expect(200);
    expect(plain.headers['x-trace-id']).toMatch(/^[0-9a-f-]{36}$/);
    const odd = await h.http().get('/api/v1/health').set('x-trace-id', 'bad id\twith spaces').expect(200);
    expect(odd.headers['x-trace-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
