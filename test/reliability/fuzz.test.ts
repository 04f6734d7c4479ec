// Property tests (fast-check, seeded). FUZZ_RUNS raises the number of cases
// (default sized to run in a few seconds), FUZZ_SEED replays a failure.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CleanupError } from '../../src/domain/errors.ts';
import { parseIngestText } from '../../src/domain/ingestRecord.ts';
import { isClearableOrResumable, LIFECYCLE_STATES } from '../../src/domain/lifecycle.ts';
import { decide } from '../../src/domain/policy.ts';
import { verifiedAt } from '../../src/domain/verification.ts';
import { resolveRunPath, runLayoutOf } from '../../src/domain/runPath.ts';
import { encodeRunPathInUrl } from '../../src/http/runPathUrl.ts';
import { createAppHarness } from '../helpers/appHarness.ts';
import { ingestFor, makeRun, snapshotTree, writeIngest } from '../helpers/stagingTree.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const settings = (numRuns: number) => ({ seed: SEED, numRuns });
// A larger FUZZ_RUNS gets a timeout that grows with it (about 3 ms a case).
vi.setConfig({ testTimeout: Math.max(30_000, RUNS * 3) });
const ROOT = '/srv/exlab/staging';

// Run paths built from the pieces attacks are made of.
const segment = fc.oneof(
  fc.constantFrom('..', '.', '', '%2E%2E', '%2e%2e', '%2F', '%00', '\\', '..\\..', '~', '.hidden', 'Runs', 'TestRuns'),
  fc.constantFrom('EQ', 'PROJ-1', 'Run_1', 'TestRun_1', 'Run_', 'Run_%2F..', 'Run_x/..', 'CONFOCAL_01'),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('.', '/', '%', '2', 'E', 'F', '\\', '\0', 'a'), maxLength: 12 }),
);
const runPathInput = fc.oneof(
  fc.array(segment, { maxLength: 8 }).map((parts) => parts.join('/')),
  fc.array(segment, { maxLength: 8 }).map((parts) => `${ROOT}/${parts.join('/')}`),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.nat({ max: 9000 }).map((length) => `EQ/P/Runs/Run_${'x'.repeat(length)}`),
);

function assertSafe(requested: string): void {
  try {
    const location = resolveRunPath(requested, ROOT);
    const segments = location.runPath.split('/');
    expect(location.absolutePath).toBe(`${ROOT}/${location.runPath}`);
    expect(path.posix.normalize(location.absolutePath)).toBe(location.absolutePath);
    expect(path.posix.relative(ROOT, location.absolutePath).startsWith('..')).toBe(false);
    expect(runLayoutOf(segments)).not.toBeNull();
    expect(segments.every((s) => s !== '' && s !== '.' && s !== '..' && !s.startsWith('.') && !s.includes('\0'))).toBe(true);
  } catch (error) {
    if (!(error instanceof CleanupError)) throw error;
    expect(error.code).toBe('invalid_run_path');
  }
}

describe('fuzzing run-path resolution', () => {
  it('never yields anything but a run leaf inside staging_root, for any input', () => {
    fc.assert(fc.property(runPathInput, (requested) => assertSafe(requested)), settings(RUNS * 5));
  });

  it('stays safe through the URL rewrite and percent-decoding the router does', async () => {
    const { registeredRoutes } = (await createAppHarness()).app;
    fc.assert(
      fc.property(runPathInput, fc.constantFrom('', '/clear', '/eligibility'), (requested, suffix) => {
        const url = encodeRunPathInUrl(`/api/v1/staging/${requested}${suffix}`, registeredRoutes);
        const param = url.slice('/api/v1/staging/'.length).replace(/\/(clear|eligibility)$/, '');
        let decoded: string;
        try {
          decoded = decodeURIComponent(param);
        } catch {
          return; // the router answers 400 bad_request for a URL it cannot decode
        }
        assertSafe(decoded);
      }),
      settings(RUNS * 5),
    );
  });

  it('through the real app: no 5xx, and nothing outside the runs it may clear is touched', async () => {
    const h = await createAppHarness();
    const outside = path.join(path.dirname(h.root), 'outside');
    makeRun(outside, 'EQ/P/Runs/Run_1');
    makeRun(h.root, 'EQ/P/Runs/Run_1', { state: 'sync_queued' });
    fs.symlinkSync(path.join(outside, 'EQ'), path.join(h.root, 'LINKED'));
    const before = { outside: snapshotTree(outside), root: snapshotTree(h.root) };
    await fc.assert(
      fc.asyncProperty(runPathInput, async (requested) => {
        const url = `/api/v1/staging/${requested.split('/').map(encodeURIComponent).join('/')}/clear`;
        const response = await h.app.inject({ method: 'POST', url });
        expect(response.statusCode).toBeLessThan(500);
        expect(response.json().error?.code ?? response.json().outcome).toBeTypeOf('string');
      }),
      settings(Math.ceil(RUNS / 5)),
    );
    expect(snapshotTree(outside)).toEqual(before.outside);
    expect(snapshotTree(h.root)).toEqual(before.root);
  });
});

describe('fuzzing ingest.json', () => {
  const valid = ingestFor('EQ/P/Runs/Run_1');
  const mutated = fc
    .record({
      key: fc.constantFrom(...Object.keys(valid), 'history.0', 'history.3.at', 'extra'),
      value: fc.anything(),
    })
    .map(({ key, value }) => {
      const copy = structuredClone(valid) as Record<string, unknown>;
      const [top, index, field] = key.split('.');
      if (index === undefined) copy[top as string] = value;
      else if (field === undefined) (copy.history as unknown[])[Number(index)] = value;
      else ((copy.history as Array<Record<string, unknown>>)[Number(index)] as Record<string, unknown>)[field] = value;
      return JSON.stringify(copy) ?? 'undefined';
    });
  const input = fc.oneof(fc.json(), fc.string(), fc.anything().map((value) => JSON.stringify(value) ?? ''), mutated);

  it('ends only in a valid record or a typed refusal, for any text', () => {
    fc.assert(
      fc.property(input, (text) => {
        try {
          const { view } = parseIngestText(text);
          expect(LIFECYCLE_STATES).toContain(view.current_state);
          expect(Array.isArray(view.history)).toBe(true);
          expect(view.schema_version).toMatch(/^1\.\d+$/);
        } catch (error) {
          expect(error).toBeInstanceOf(CleanupError);
          expect(['ingest_invalid', 'schema_major_mismatch']).toContain((error as CleanupError).code);
        }
      }),
      settings(RUNS * 5),
    );
  });
});

describe('fuzzing ingest.json through the real app', () => {
  const valid = ingestFor('EQ/P/Runs/Run_1');
  // A value nested `depth` levels deep, around the cap on nesting.
  const nested = fc.integer({ min: 55, max: 80 }).map((depth) => JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`) as unknown);
  const mutation = fc.record({
    key: fc.constantFrom(...Object.keys(valid), 'extra', '__proto__', 'history.3', 'history.3.at', 'history.3.nas_path', 'history.9'),
    value: fc.oneof(fc.jsonValue(), nested),
  });

  it('gives a dry run and a clear the same verdict for any ingest.json that parses, and never a 5xx', async () => {
    const h = await createAppHarness();
    let index = 0;
    await fc.assert(
      fc.asyncProperty(mutation, async ({ key, value }) => {
        const runPath = `EQ/P/Runs/Run_${(index += 1)}`;
        const run = makeRun(h.root, runPath);
        const ingest = { ...structuredClone(valid), run_path: runPath } as Record<string, unknown>;
        const [top, entry, field] = key.split('.');
        const history = ingest.history as Array<Record<string, unknown>>;
        if (entry === undefined) Object.defineProperty(ingest, top as string, { value, enumerable: true });
        else if (field === undefined) history[Number(entry)] = value as Record<string, unknown>;
        else (history[Number(entry)] as Record<string, unknown>)[field] = value;
        writeIngest(run, JSON.stringify(ingest));
        const clear = (query: string) => h.app.inject({ method: 'POST', url: `/api/v1/staging/${runPath}/clear${query}` });
        const dryRun = await clear('?dry_run=true');
        const cleared = await clear('');
        expect(dryRun.statusCode).toBeLessThan(500);
        expect(cleared.statusCode).toBeLessThan(500);
        if (dryRun.statusCode === 200) {
          expect(cleared.json()).toMatchObject({ outcome: 'cleared' });
        } else {
          expect(cleared.statusCode).toBe(dryRun.statusCode);
          expect(cleared.json().error.code).toBe(dryRun.json().error.code);
        }
      }),
      settings(Math.ceil(RUNS / 10)),
    );
  });
});

describe('fuzzing the policy', () => {
  const timestamp = fc.oneof(
    fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.string({ maxLength: 25 }),
  );
  const view = fc
    .record({
      state: fc.constantFrom(...LIFECYCLE_STATES),
      history: fc.array(fc.record({ state: fc.constantFrom(...LIFECYCLE_STATES), at: fc.option(timestamp, { nil: undefined }) }), {
        maxLength: 6,
      }),
    })
    .map(({ state, history }) => parseIngestText(JSON.stringify({ ...ingestFor('EQ/P/Runs/Run_1'), current_state: state, history })).view);
  const policy = fc.record({
    mode: fc.constantFrom('manual' as const, 'scheduled' as const),
    retainHours: fc.integer({ min: 1, max: 24 * 400 }),
    clockToleranceSeconds: fc.integer({ min: 0, max: 86_400 }),
  });
  const now = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2036-01-01T00:00:00Z'), noInvalidDate: true });

  const forEveryDecision = (check: (decision: ReturnType<typeof decide>, ...args: Parameters<typeof decide>) => void): void =>
    fc.assert(
      fc.property(view, policy, now, (v, settings_, at) => check(decide(v, settings_, at), v, settings_, at)),
      settings(RUNS * 5),
    );

  it('never lets a run that is neither sync_verified nor an interrupted clear be cleared', () => {
    // A cleared run still listed was cut short: clearing it again finishes it.
    forEveryDecision((decision, v) => {
      if (!isClearableOrResumable(v.current_state)) expect(decision.clearable).toBe(false);
    });
  });

  it('never auto-clears in manual mode', () => {
    forEveryDecision((decision, _, settings_) => {
      if (settings_.mode === 'manual') expect(decision.auto_clear_eligible).toBe(false);
    });
  });

  it('auto-clears a verified run only once its retain window has passed', () => {
    // The sweep finishes an interrupted clear whatever the window.
    forEveryDecision((decision, v, settings_, at) => {
      if (!decision.auto_clear_eligible || v.current_state !== 'sync_verified') return;
      const verified = verifiedAt(v);
      expect(verified).not.toBeNull();
      expect(at.getTime()).toBeGreaterThanOrEqual((verified as Date).getTime() + settings_.retainHours * 3_600_000);
      expect(decision.clearable).toBe(true);
    });
  });
});
