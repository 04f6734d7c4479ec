// A browser must not become a way in: tried as a hostile web page would,
// over real HTTP, against the default loopback-without-token setup.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAppHarness, FRESH_HEALTH } from '../helpers/appHarness.ts';
import { makeRun, snapshotTree } from '../helpers/stagingTree.ts';

const RUN = 'EQ/P/Runs/Run_1';
const WIZARD = 'https://wizard.lab.example';
const WITH_CORS = { STAGING_CLEANUP_CORS_ORIGINS: JSON.stringify([WIZARD]) };

describe('a state-changing request from a web page', () => {
  it('is refused with origin_not_allowed when it comes from a foreign origin, and nothing is deleted', async () => {
    const h = await createAppHarness();
    const runDir = makeRun(h.root, RUN);
    const before = snapshotTree(h.root);
    for (const url of [`/api/v1/staging/${RUN}/clear`, '/api/v1/staging/sweep']) {
      const refused = await h.http().post(url).set('origin', 'https://evil.example').expect(403);
      expect(refused.body.error).toMatchObject({ code: 'origin_not_allowed', field: 'headers.origin' });
      expect(refused.body.error.message).toContain('https://evil.example');
    }
    const all = await h.http().post('/api/v1/staging/clear').set('origin', 'null').send({ all_verified: true }).expect(403);
    expect(all.body.error.code).toBe('origin_not_allowed');
    expect(snapshotTree(h.root)).toEqual(before);
    expect(fs.existsSync(runDir)).toBe(true);
  });

  it('is refused when Sec-Fetch-Site says cross-site, even without an Origin header', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const before = snapshotTree(h.root);
    const refused = await h.http().post(`/api/v1/staging/${RUN}/clear`).set('sec-fetch-site', 'cross-site').expect(403);
    expect(refused.body.error.code).toBe('origin_not_allowed');
    expect(snapshotTree(h.root)).toEqual(before);
  });

  it("is accepted from the service's own page (same origin), and from curl, which sends no Origin", async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    makeRun(h.root, 'EQ/P/Runs/Run_2');
    const page = { host: 'localhost:8080', origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' };
    await h.http().post(`/api/v1/staging/${RUN}/clear`).set(page).expect(200);
    await h.http().post('/api/v1/staging/EQ/P/Runs/Run_2/clear').expect(200);
    const clears = await h.http().get('/api/v1/staging/clears').expect(200);
    expect(clears.body.clears).toHaveLength(2);
  });

  it('is accepted from an origin listed in cors_origins, with CORS headers it can read', async () => {
    const h = await createAppHarness({ env: WITH_CORS });
    makeRun(h.root, RUN);
    const cleared = await h.http().post(`/api/v1/staging/${RUN}/clear`).set('origin', WIZARD).set('sec-fetch-site', 'cross-site').expect(200);
    expect(cleared.body.outcome).toBe('cleared');
    expect(cleared.headers['access-control-allow-origin']).toBe(WIZARD);
    expect(cleared.headers['access-control-expose-headers']).toContain('Location');
  });
});

describe('CORS', () => {
  const preflight = (origin: string) => ({
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization, content-type, prefer',
  });

  it('answers the preflight of an allowed origin with the methods and headers it may use', async () => {
    const h = await createAppHarness({ env: WITH_CORS });
    const answer = await h.http().options('/api/v1/staging/clear').set(preflight(WIZARD)).expect(204);
    expect(answer.headers['access-control-allow-origin']).toBe(WIZARD);
    expect(answer.headers['access-control-allow-methods']).toBe('GET, POST');
    expect(answer.headers['access-control-allow-headers']).toMatch(/Authorization.*Content-Type.*Prefer/);
    const read = await h.http().get('/api/v1/staging').set('origin', WIZARD).expect(200);
    expect(read.headers['access-control-allow-origin']).toBe(WIZARD);
  });

  it('gives another origin no CORS headers, so its page can neither read nor send with a preflight', async () => {
    const h = await createAppHarness({ env: WITH_CORS });
    const answer = await h.http().options('/api/v1/staging/clear').set(preflight('https://evil.example')).expect(405);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers['access-control-allow-methods']).toBeUndefined();
    expect(answer.body.error.code).toBe('method_not_allowed');
    const read = await h.http().get('/api/v1/staging').set('origin', 'https://evil.example').expect(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers an OPTIONS that is no preflight (no Origin, or no Access-Control-Request-Method) with 405 and Allow, even for an allowed origin', async () => {
    const h = await createAppHarness({ env: WITH_CORS });
    for (const headers of [{}, { origin: WIZARD }, { 'access-control-request-method': 'POST' }]) {
      const answer = await h.http().options('/api/v1/staging/clear').set(headers).expect(405);
      expect(answer.headers.allow).toBe('POST');
      expect(answer.headers['access-control-allow-methods']).toBeUndefined();
      expect(answer.body.error).toMatchObject({ code: 'method_not_allowed', trace_id: answer.headers['x-trace-id'] });
    }
    const bare = await (await createAppHarness()).http().options('/api/v1/staging').expect(405);
    expect(bare.headers.allow).toBe('GET, HEAD');
  });

  it('gives no origin CORS headers when cors_origins is left empty', async () => {
    const h = await createAppHarness();
    const read = await h.http().get('/api/v1/staging').set('origin', WIZARD).expect(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('the Host header', () => {
  it('is refused with host_not_allowed when it names a host the service is not configured for (DNS rebinding)', async () => {
    const h = await createAppHarness();
    const runDir = makeRun(h.root, RUN);
    const before = snapshotTree(runDir);
    for (const request of [
      h.http().get('/api/v1/staging'),
      h.http().get('/'),
      h.http().post(`/api/v1/staging/${RUN}/clear`),
      h.http().post('/api/v1/staging/clear').send({ all_verified: true }),
    ]) {
      const refused = await request.set('host', 'attacker.example:8080').expect(421);
      expect(refused.body.error).toMatchObject({ code: 'host_not_allowed', field: 'headers.host' });
      expect(refused.body.error.message).toContain('attacker.example:8080');
    }
    expect(snapshotTree(runDir)).toEqual(before);
  });

  it('is answered for loopback names and the names listed in allowed_hosts', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_ALLOWED_HOSTS: '["Orchestrator01.lab.example"]' } });
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:8080', 'orchestrator01.lab.example:8080', 'ORCHESTRATOR01.lab.example.']) {
      await h.http().get('/api/v1/staging').set('host', host).expect(200);
    }
    await h.http().get('/api/v1/staging').set('host', 'orchestrator02.lab.example').expect(421);
  });

  it('does not stop the health probe, which orchestrators send to whatever address they see', async () => {
    const h = await createAppHarness();
    const health = await h.http().get('/api/v1/health').set('host', '10.1.2.3:8080').expect(200);
    expect(health.body.status).toBe('ready');
  });

  it('shows a caller whose Host is not served, without tokens, only which checks pass: no paths, no uid', async () => {
    const h = await createAppHarness();
    const foreign = await h.http().get('/api/v1/health').set(FRESH_HEALTH).set('host', 'attacker.example:8080').expect(200);
    expect(foreign.body).toEqual({
      status: 'ready',
      checks: { staging_root: { ok: true }, staging_root_writable: { ok: true }, journal: { ok: true }, staging_volume: { ok: true }, run_permissions: { ok: true } },
    });
    fs.rmSync(h.root, { recursive: true });
    const down = await h.http().get('/api/v1/health').set(FRESH_HEALTH).set('host', 'attacker.example').expect(503);
    expect(JSON.stringify(down.body)).not.toContain(h.root);
    const local = await h.http().get('/api/v1/health').set(FRESH_HEALTH).set('host', '127.0.0.1:8080').expect(503);
    expect(local.body.checks.staging_root.message).toContain(h.root);
    expect(local.body.runs_as).toEqual({ uid: process.getuid?.(), gid: process.getgid?.() });
  });
});

describe('the OpenAPI document', () => {
  it('documents host_not_allowed on every route but health, and origin_not_allowed on the ones that change something', async () => {
    const h = await createAppHarness();
    const doc = (await h.http().get('/openapi.json').expect(200)).body;
    const codes = (route: string, method: string, status: string): string[] =>
      doc.paths[route][method].responses[status]?.content['application/json'].schema.properties.error.properties.code.enum ?? [];
    expect(codes('/api/v1/staging', 'get', '421')).toEqual(['host_not_allowed']);
    expect(codes('/api/v1/staging', 'get', '403')).toEqual([]);
    expect(codes('/api/v1/staging/{run_path}/clear', 'post', '403')).toEqual(['forbidden', 'origin_not_allowed']);
    expect(codes('/api/v1/staging/sweep', 'post', '421')).toEqual(['host_not_allowed']);
    expect(doc.paths['/api/v1/health'].get.responses['421']).toBeUndefined();
  });
});
