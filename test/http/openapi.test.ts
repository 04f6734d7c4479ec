import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createAppHarness } from '../helpers/appHarness.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';

const run = promisify(execFile);
const repo = path.join(import.meta.dirname, '..', '..');
const script = path.join(repo, 'scripts', 'openapi.ts');

// The Swagger UI plugin serves its own static pages under /docs.
const SWAGGER_UI = /^\/docs(\/|$)/;

describe('the OpenAPI document', () => {
  it('documents every registered route but the Swagger UI pages and the hidden ones (the panel, CORS preflight), with each method', async () => {
    const h = await createAppHarness();
    const doc = (await h.http().get('/openapi.json').expect(200)).body;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([route, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${route.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const registered = h.app.registeredRoutes
      .filter((route) => !SWAGGER_UI.test(route.url) && !route.hidden && route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.url}`);
    expect(registered.length).toBeGreaterThan(8);
    expect(registered.sort()).toEqual(documented.sort());
  });

  it('documents, for every route, each status it answers with the error codes', async () => {
    const h = await createAppHarness();
    const doc = (await h.http().get('/openapi.json').expect(200)).body;
    const clear = doc.paths['/api/v1/staging/{run_path}/clear'].post.responses;
    expect(Object.keys(clear).sort()).toEqual(['200', '202', '400', '401', '403', '404', '408', '409', '413', '414', '415', '421', '422', '431', '500', '503', '507']);
    expect(clear['500'].content['application/json'].schema.properties.error.properties.code.enum).toEqual([
      'internal_error',
      'clear_incomplete',
    ]);
    // clear_in_progress says who holds the run lock and when it would be taken over.
    const conflictDetails = clear['409'].content['application/json'].schema.properties.error.properties.details;
    expect(conflictDetails.anyOf[0]).toEqual({ $ref: '#/components/schemas/ClearInProgressDetails' });
    const lockDetails = doc.components.schemas.ClearInProgressDetails;
    expect(Object.keys(lockDetails.properties).sort()).toEqual(['holder', 'takeover_at']);
    expect(Object.keys(lockDetails.properties.holder.properties).sort()).toEqual(['host', 'pid', 'since']);
    expect(doc.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/api/v1/health'].get.security).toEqual([]);
  });

  it('documents the pre-clear refusals on every clear route', async () => {
    const h = await createAppHarness();
    const doc = (await h.http().get('/openapi.json').expect(200)).body;
    const single = doc.paths['/api/v1/staging/{run_path}/clear'].post.responses;
    const codesOf = (status: string): string[] =>
      single[status].content['application/json'].schema.properties.error.properties.code.enum;
    expect(codesOf('409')).toEqual(expect.arrayContaining(['unsynced_files', 'nas_copy_mismatch']));
    expect(codesOf('503')).toContain('nas_unreachable');
    const failureCodes = doc.components.schemas.RunFailure.properties.error.properties.code.enum;
    expect(failureCodes).toEqual(expect.arrayContaining(['unsynced_files', 'nas_copy_mismatch', 'nas_unreachable']));
    for (const route of ['/api/v1/staging/clear', '/api/v1/staging/sweep']) {
      expect(JSON.stringify(doc.paths[route].post.responses['200'])).toContain('RunFailure');
    }
  });

  it("carries the package's version and names each schema once", async () => {
    const h = await createAppHarness();
    const doc = (await h.http().get('/docs/json').expect(200)).body;
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
    expect(doc.info.version).toBe(pkg.version);
    const names = Object.keys(doc.components.schemas);
    expect(names.filter((name) => names.includes(`${name}Input`) || name.endsWith('Input'))).toEqual([]);
  });

  it('is served as Swagger UI at /docs', async () => {
    const h = await createAppHarness();
    const page = await h.http().get('/docs/').expect(200);
    expect(page.text).toContain('swagger');
  });

  it('matches the committed openapi/openapi.json (npm run openapi:check)', async () => {
    const { stdout } = await run('npm', ['run', '-s', 'openapi:check'], { cwd: repo });
    expect(stdout).toContain('matches the routes');
  });

  it('makes openapi:check fail when the committed document drifts from the routes', async () => {
    const dir = makeTempDir();
    try {
      const drifted = path.join(dir, 'openapi.json');
      const committed = JSON.parse(fs.readFileSync(path.join(repo, 'openapi/openapi.json'), 'utf8'));
      delete committed.paths['/api/v1/staging/sweep'];
      fs.writeFileSync(drifted, `${JSON.stringify(committed, null, 2)}\n`);
      const failure = await run(process.execPath, ['--import', 'tsx', script, '--check', '--file', drifted], { cwd: repo }).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code).toBe(1);
      expect(failure?.stderr).toContain('differs from what the routes produce');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the committed OpenAPI document under Redocly', () => {
  it("lints clean with Redocly's recommended rules (no errors)", async () => {
    const redocly = path.join(repo, 'node_modules', '.bin', 'redocly');
    const result = await run(redocly, ['lint', '--format', 'summary', 'openapi/openapi.json'], { cwd: repo }).then(
      ({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }),
      (error: { stdout: string; stderr: string }) => ({ ok: false, output: error.stdout + error.stderr }),
    );
    expect(result.output).not.toMatch(/error/i);
    expect(result.ok).toBe(true);
  }, 60_000);
});
