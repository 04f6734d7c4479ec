import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../src/http/errorEnvelope.ts';
import { createAppHarness } from '../helpers/appHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

const RUN = 'EQ/P/Runs/Run_1';

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

  it('masks an unexpected error as 500 internal_error with no stack, and logs it', async () => {
    const app = Fastify();
    registerErrorHandling(app);
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
