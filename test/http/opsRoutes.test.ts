import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLEAR_TOKEN, createAppHarness, FRESH_HEALTH, listen, READ_TOKEN, WITH_TOKENS } from '../helpers/appHarness.ts';
import { withImmutable } from '../helpers/faults.ts';
import { itAsRoot } from '../helpers/root.ts';
import { openEvents } from '../helpers/sseClient.ts';
import { makeRun } from '../helpers/stagingTree.ts';

const RUN = 'EQ/P/Runs/Run_1';

describe('GET /api/v1/health', () => {
  it('is 200 ready when the staging root is readable and writable and the journal writable, saying who it runs as', async () => {
    const h = await createAppHarness();
    const response = await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
    expect(response.body).toMatchObject({
      status: 'ready',
      checks: { staging_root: { ok: true }, staging_root_writable: { ok: true }, journal: { ok: true } },
      runs_as: { uid: process.getuid!(), gid: process.getgid!() },
    });
    expect(fs.readdirSync(h.root)).toEqual([]);
  });

  itAsRoot('is 503 not_ready naming the uid when the staging root cannot be written (chattr +i)', async () => {
    const h = await createAppHarness();
    const down = await withImmutable([h.root], () => h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503));
    expect(down.body.checks).toMatchObject({ staging_root: { ok: true }, staging_root_writable: { ok: false }, journal: { ok: true } });
    expect(down.body.checks.staging_root_writable.message).toContain(`${h.root} (EPERM)`);
    await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
  });

  it('shows a caller without a token, when tokens are configured, which checks pass but no paths', async () => {
    const h = await createAppHarness({ env: WITH_TOKENS });
    const anonymous = await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
    expect(anonymous.body).toEqual({
      status: 'ready',
      checks: { staging_root: { ok: true }, staging_root_writable: { ok: true }, journal: { ok: true }, staging_volume: { ok: true }, run_permissions: { ok: true } },
    });
    expect(JSON.stringify(anonymous.body)).not.toContain(h.root);
    const wrongToken = await h.http().get('/api/v1/health').set(FRESH_HEALTH).set('authorization', 'Bearer not-a-token').expect(200);
    expect(wrongToken.body.runs_as).toBeUndefined();
    for (const token of [READ_TOKEN, CLEAR_TOKEN]) {
      const known = await h.http().get('/api/v1/health').set(FRESH_HEALTH).set('authorization', `Bearer ${token}`).expect(200);
      expect(known.body.checks.staging_root.message).toContain(h.root);
      expect(known.body.runs_as).toEqual({ uid: process.getuid?.(), gid: process.getgid?.() });
    }
  });

  it('is 503 not_ready naming the staging root when it is gone or another folder stands there, and ready again when it returns', async () => {
    const h = await createAppHarness();
    const away = `${h.root}.away`;
    fs.renameSync(h.root, away);
    const down = await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503);
    expect(down.body).toMatchObject({ status: 'not_ready', checks: { staging_root: { ok: false }, journal: { ok: true } } });
    fs.mkdirSync(h.root);
    const other = await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503);
    expect(other.body.checks.staging_root.message).toContain('another folder than the one the service started on');
    fs.rmdirSync(h.root);
    fs.renameSync(away, h.root);
    await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(200);
  });

  it('is 503 not_ready naming the journal when it cannot be written', async () => {
    const h = await createAppHarness();
    fs.writeFileSync(h.journalDir, 'a file where the journal folder should be');
    const down = await h.http().get('/api/v1/health').set(FRESH_HEALTH).expect(503);
    expect(down.body.checks).toMatchObject({ staging_root: { ok: true }, journal: { ok: false } });
    expect(down.body.checks.journal.message).toContain('journal');
  });
});

describe('logs and metrics', () => {
  it('logs one JSON line per deletion with run, files, bytes, duration, actor and host', async () => {
    const h = await createAppHarness();
    makeRun(h.root, RUN);
    const answer = (await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200)).body;
    const deletions = h.logs.filter((line) => line.msg === 'run cleared');
    expect(deletions).toHaveLength(1);
    expect(deletions[0]).toMatchObject({
      level: 30,
      run_path: RUN,
      files_freed: answer.files_freed,
      bytes_freed: answer.bytes_freed,
      duration_ms: answer.duration_ms,
      actor: 'local',
      host: 'test-host',
      outcome: 'cleared',
    });
  });

  it('never logs a token in a URL, however its name is spelled or encoded, and keeps the plain parameters', async () => {
    const h = await createAppHarness({ env: WITH_TOKENS });
    const url = await listen(h);
    const spellings = ['access_token=', 'access%5Ftoken=', 'ACCESS_TOKEN=', 'Access%5fToken=', '%61ccess_token=', 'access_token%3D', 'access_token[]='];
    for (const [index, spelling] of spellings.entries()) {
      const client = openEvents(`${url}/api/v1/events?${spelling}${READ_TOKEN}&n=${index}`);
      await client.status;
      client.close();
    }
    await h.http().get('/api/v1/staging?state=cleared&eligible=%74rue').set('authorization', `Bearer ${READ_TOKEN}`);
    expect(JSON.stringify(h.logs)).not.toContain(READ_TOKEN);
    expect(h.logs.filter((line) => line.msg === 'incoming request').map((line) => (line.req as { url: string }).url)).toEqual([
      ...spellings.map(() => '/api/v1/events?[masked]&[masked]'),
      '/api/v1/staging?state=cleared&eligible=[masked]',
    ]);
  });

  it('exposes clears, files and bytes freed, durations, runs by state and sweeps in Prometheus format', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600' } });
    makeRun(h.root, RUN);
    makeRun(h.root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
    const answer = (await h.http().post(`/api/v1/staging/${RUN}/clear`).expect(200)).body;
    await h.http().post(`/api/v1/staging/EQ/P/Runs/Run_queued/clear`).expect(409);
    await h.http().post('/api/v1/staging/sweep').expect(200);
    const metrics = await h.http().get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const text = metrics.text;
    expect(text).toContain('staging_cleanup_clears_total{outcome="cleared"} 1');
    expect(text).toContain('staging_cleanup_clears_total{outcome="staging_not_sync_verified"} 1');
    expect(text).toContain(`staging_cleanup_files_freed_total ${answer.files_freed}`);
    expect(text).toContain(`staging_cleanup_bytes_freed_total ${answer.bytes_freed}`);
    expect(text).toContain('staging_cleanup_clear_duration_seconds_count 1');
    expect(text).toContain('staging_cleanup_staged_runs{state="sync_queued"} 1');
    expect(text).toContain('staging_cleanup_sweeps_total 1');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('counts the runs a sweep skips, by reason', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600' } });
    const run = makeRun(h.root, RUN);
    fs.writeFileSync(path.join(run, 'late.csv'), 'x');
    const sweep = await h.http().post('/api/v1/staging/sweep').expect(200);
    expect(sweep.body.results).toMatchObject([{ run_path: RUN, error: { code: 'unsynced_files' } }]);
    const text = (await h.http().get('/metrics').expect(200)).text;
    expect(text).toContain('staging_cleanup_sweep_runs_total{result="skipped",reason="unsynced_files"} 1');
    expect(h.logs.some((line) => line.msg === 'sweep did not clear a run' && line.code === 'unsynced_files')).toBe(true);
  });

  it('counts no dry-run sweep in the metrics, and logs what it would clear', async () => {
    const h = await createAppHarness({ env: { STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600' } });
    makeRun(h.root, RUN);
    await h.http().post('/api/v1/staging/sweep?dry_run=true').expect(200);
    const text = (await h.http().get('/metrics').expect(200)).text;
    expect(text).toContain('staging_cleanup_sweeps_total 0');
    expect(text).not.toContain('staging_cleanup_sweep_runs_total{result="cleared"');
    expect(h.logs.find((line) => line.msg === 'sweep dry run finished')).toMatchObject({ would_clear: 1, dry_run: true });
    expect(fs.existsSync(path.join(h.root, RUN))).toBe(true);
  });
});
