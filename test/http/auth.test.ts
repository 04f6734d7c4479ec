import { describe, expect, it } from 'vitest';
import { CLEAR_TOKEN, createAppHarness, READ_TOKEN, WITH_TOKENS } from '../helpers/appHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

const RUN = 'EQ/P/Runs/Run_1';

describe('bearer tokens', () => {
  it('answers 401 unauthorized in the envelope without a token or with an unknown one', async () => {
    const h = await createAppHarness({ env: WITH_TOKENS });
    const missing = await h.http().get('/api/v1/staging').expect(401);
    expect(missing.body.error.code).toBe('unauthorized');
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    const unknown = await h.http().get('/api/v1/staging').set('authorization', 'Bearer not-a-known-token-at-all').expect(401);
    expect(unknown.body.error).toMatchObject({ code: 'unauthorized', trace_id: unknown.headers['x-trace-id'] });
    await h.http().get('/metrics').expect(401);
  });

  it('lets a read token list but answers 403 forbidden when it tries to clear, deleting nothing', async () => {
    const h = await createAppHarness({ env: WITH_TOKENS });
    makeRun(h.root, RUN);
    const auth = `Bearer ${READ_TOKEN}`;
    await h.http().get('/api/v1/staging').set('authorization', auth).expect(200);
    await h.http().get(`/api/v1/staging/${RUN}/eligibility`).set('authorization', auth).expect(200);
    const refused = await h.http().post(`/api/v1/staging/${RUN}/clear`).set('authorization', auth).expect(403);
    expect(refused.body.error.code).toBe('forbidden');
    await h.http().post('/api/v1/staging/sweep').set('authorization', auth).expect(403);
    await h.http().get(`/api/v1/staging/${RUN}`).set('authorization', auth).expect(200);
  });

  it('lets a clear token clear, and journals its name as the actor', async () => {
    const h = await createAppHarness({ env: WITH_TOKENS });
    makeRun(h.root, RUN);
    await h.http().post(`/api/v1/staging/${RUN}/clear`).set('authorization', `Bearer ${CLEAR_TOKEN}`).expect(200);
    const clears = await h.http().get('/api/v1/staging/clears').set('authorization', `Bearer ${CLEAR_TOKEN}`).expect(200);
    expect(clears.body.clears[0].actor).toBe('wizard-panel');
  });

  it('keeps health, the OpenAPI document and the docs open', async () => {
    const h = await createAppHarness({ env: WITH_TOKENS });
    await h.http().get('/api/v1/health').expect(200);
    await h.http().get('/openapi.json').expect(200);
    await h.http().get('/docs/').expect(200);
  });

  it('accepts a token from the environment as STAGING_CLEANUP_CLEAR_TOKEN', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_CLEAR_TOKEN: CLEAR_TOKEN } });
    await h.http().get('/api/v1/staging').expect(401);
    await h.http().get('/api/v1/staging').set('authorization', `Bearer ${CLEAR_TOKEN}`).expect(200);
  });

  it('lets every local caller in when no token is configured, as actor "local"', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200);
    const clears = await h.http().get('/api/v1/staging/clears').expect(200);
    expect(clears.body.clears[0].actor).toBe('local');
  });

  it('tells each caller who it is, what its token allows and how the service clears (GET /api/v1/whoami)', async () => {
    const h = await createAppHarness({ env: { ...WITH_TOKENS, STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_RETAIN_HOURS: '48' } });
    await h.http().get('/api/v1/whoami').expect(401);
    const read = await h.http().get('/api/v1/whoami').set('authorization', `Bearer ${READ_TOKEN}`).expect(200);
    expect(read.body).toEqual({ actor: 'grafana', scope: 'read', mode: 'scheduled', retain_hours: 48 });
    const clear = await h.http().get('/api/v1/whoami').set('authorization', `Bearer ${CLEAR_TOKEN}`).expect(200);
    expect(clear.body).toMatchObject({ actor: 'wizard-panel', scope: 'clear' });
    const local = await createAppHarness();
    expect((await local.http().get('/api/v1/whoami').expect(200)).body).toEqual({
      actor: 'local',
      scope: 'clear',
      mode: 'manual',
      retain_hours: 24,
    });
  });
});
