import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CleanupError } from '../../src/domain/errors.ts';
import { refusalOf } from '../helpers/refusal.ts';
import type { ClearAnswer } from '../../src/service/answers.ts';
import { createRunLocks, lockPathOf } from '../../src/storage/runLock.ts';
import { hookBeforeLock } from '../helpers/lockHook.ts';
import { setImmutable, withImmutable } from '../helpers/faults.ts';
import { createHarness, journalLines } from '../helpers/serviceHarness.ts';
import {
  DEFAULT_FILES,
  ingestFor,
  makeRun,
  readExample,
  readIngestJson,
  sealRun,
  snapshotTree,
  treeTotals,
  writeFiles,
  writeIngest,
} from '../helpers/stagingTree.ts';
import { itAsRoot } from '../helpers/root.ts';

const RUN = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32';
const operator = { actor: 'alice' };

// What a clear frees: every non-directory entry, .exlab-wizard included, as
// the run stands before the clear (ingest.json before it records the clear).
const clearTotals = (runDir: string): { files: number; bytes: number } => treeTotals(runDir);

describe('clearing one run', () => {
  it('deletes a sync_verified run, counting .exlab-wizard/ too, and journals one record', async () => {
    const { root, service, ...h } = createHarness();
    const run = makeRun(root, RUN);
    const expected = clearTotals(run);
    expect(expected.files).toBe(Object.keys(DEFAULT_FILES).length + 3);
    const answer = await service.clearer.clear(RUN, operator);
    expect(answer).toMatchObject({
      run_path: RUN,
      outcome: 'cleared',
      files_freed: expected.files,
      bytes_freed: expected.bytes,
      cleared_at: '2026-04-20T12:00:00Z',
    });
    expect(fs.existsSync(run)).toBe(false);
    expect(fs.existsSync(path.dirname(run))).toBe(true);
    expect(fs.existsSync(lockPathOf(run))).toBe(false);
    expect(journalLines(h)).toEqual([
      {
        run_path: RUN,
        equipment_id: 'CONFOCAL_01',
        project_name: 'Project PROJ-0042',
        run_kind: 'experimental',
        nas_path: `//nas01/lab/${RUN}`,
        verified_at: '2026-04-17T16:18:43Z',
        cleared_at: '2026-04-20T12:00:00Z',
        host: 'test-host',
        actor: 'alice',
        files_freed: expected.files,
        bytes_freed: expected.bytes,
        duration_ms: answer.duration_ms,
        outcome: 'cleared',
        resumed: false,
      },
    ]);
  });

  it('accepts the absolute path the Wizard rows carry', async () => {
    const { root, service } = createHarness();
    const run = makeRun(root, RUN);
    expect((await service.clearer.clear(run, operator)).run_path).toBe(RUN);
  });

  it('clears a test run and a legacy run', async () => {
    const { root, service } = createHarness();
    makeRun(root, 'EQ/P/TestRuns/TestRun_1');
    makeRun(root, 'EQ/P/Run_legacy');
    expect((await service.clearer.clear('EQ/P/TestRuns/TestRun_1', operator)).outcome).toBe('cleared');
    expect((await service.clearer.clear('EQ/P/Run_legacy', operator)).outcome).toBe('cleared');
  });

  it('answers already_cleared with the journal record when the run was cleared before', async () => {
    const { root, service } = createHarness();
    makeRun(root, RUN);
    const first = await service.clearer.clear(RUN, operator);
    const again = await service.clearer.clear(RUN, { actor: 'bob' });
    expect(again).toMatchObject({
      run_path: RUN,
      outcome: 'already_cleared',
      files_freed: 0,
      bytes_freed: 0,
      cleared_at: first.cleared_at,
      record: { actor: 'alice', files_freed: first.files_freed },
    });
  });

  it('journals a run whose ingest.json carries a huge project name with the name clipped, so the record stays findable', async () => {
    const { root, service } = createHarness();
    makeRun(root, RUN, { extraIngest: { project_name: 'p'.repeat(70_000) } });
    await service.clearer.clear(RUN, operator);
    const again = await service.clearer.clear(RUN, operator);
    expect(again.outcome).toBe('already_cleared');
    expect(again.record?.project_name).toHaveLength(4096);
    expect(again.record?.project_name.endsWith('…')).toBe(true);
  });

  it('answers already_cleared when another clear finished the run between its look and its lock', async () => {
    const real = createRunLocks({ hostLabel: 'test-host' });
    let finishFirst: (() => void) | null = null;
    const { root, service } = createHarness({ locks: hookBeforeLock(real, () => finishFirst?.()) });
    makeRun(root, RUN);
    const first = await service.clearer.clear(RUN, operator);
    const run = makeRun(root, RUN);
    finishFirst = () => fs.rmSync(run, { recursive: true });
    expect(await service.clearer.clear(RUN, { actor: 'bob' })).toMatchObject({
      outcome: 'already_cleared',
      cleared_at: first.cleared_at,
    });
    expect(await real.isHeld(run)).toBe(false);
  });

  it('answers run_not_found for a run folder that is gone and was never journaled', async () => {
    const { service } = createHarness();
    expect((await refusalOf(service.clearer.clear(RUN, operator))).code).toBe('run_not_found');
  });

  it('clears a run with the Wizard lock file beside ingest.json, counting it as a file', async () => {
    const { root, service } = createHarness();
    const run = makeRun(root, RUN);
    fs.writeFileSync(path.join(run, '.exlab-wizard/ingest.json.lock'), '');
    const expected = clearTotals(run);
    expect(await service.clearer.clear(RUN, operator)).toMatchObject({ files_freed: expected.files });
    expect(fs.existsSync(run)).toBe(false);
  });

  it('reports progress while deleting', async () => {
    const { root, service } = createHarness();
    makeRun(root, RUN);
    const seen: number[] = [];
    const answer = await service.clearer.clear(RUN, { actor: 'a', observer: { progress: (p) => seen.push(p.files_freed) } });
    expect(seen.at(-1)).toBe(answer.files_freed);
  });
});

describe('refusals before anything is deleted', () => {
  const cases: Array<[string, (runDir: string) => void, string]> = [
    ['a leaf without ingest.json', (dir) => fs.rmSync(path.join(dir, '.exlab-wizard/ingest.json')), 'ingest_missing'],
    ['an ingest.json that is not JSON', (dir) => writeIngest(dir, '{"schema_version": "1.1",'), 'ingest_invalid'],
    ['an ingest.json missing a field', (dir) => writeIngest(dir, { ...ingestFor(RUN), history: 'x' }), 'ingest_invalid'],
    ['another schema major', (dir) => writeIngest(dir, { ...ingestFor(RUN), schema_version: '2.0' }), 'schema_major_mismatch'],
    ['a staging run', (dir) => writeIngest(dir, ingestFor(RUN, { state: 'staging' })), 'staging_not_sync_verified'],
    ['a complete run', (dir) => writeIngest(dir, ingestFor(RUN, { state: 'complete' })), 'staging_not_sync_verified'],
    ['a sync_queued run', (dir) => writeIngest(dir, ingestFor(RUN, { state: 'sync_queued' })), 'staging_not_sync_verified'],
  ];

  it.each(cases)('refuses %s, leaving the run whole and the journal empty', async (_, spoil, code) => {
    const harness = createHarness();
    const run = makeRun(harness.root, RUN);
    spoil(run);
    const before = snapshotTree(run);
    for (const dryRun of [true, false]) {
      const error = await refusalOf(harness.service.clearer.clear(RUN, { ...operator, dryRun }));
      expect(error.code).toBe(code);
      expect(error.message.length).toBeGreaterThan(10);
    }
    expect(snapshotTree(run)).toEqual(before);
    expect(journalLines(harness)).toEqual([]);
    expect(fs.existsSync(lockPathOf(run))).toBe(false);
  });

  itAsRoot('refuses with journal_unavailable, deleting nothing, when the journal cannot be written', async () => {
    const harness = createHarness();
    const run = makeRun(harness.root, RUN);
    fs.mkdirSync(harness.journalDir);
    const journalFile = path.join(harness.journalDir, 'clears.test-host.jsonl');
    fs.writeFileSync(journalFile, '');
    const before = snapshotTree(run);
    const error = await withImmutable([journalFile], () => refusalOf(harness.service.clearer.clear(RUN, operator)));
    expect(error.code).toBe('journal_unavailable');
    expect(snapshotTree(run)).toEqual(before);
  });
});

describe('run path attacks', () => {
  it.each([
    ['a parent segment', 'CONFOCAL_01/PROJ-0042/Runs/../../../outside/Runs/Run_1'],
    ['an absolute path outside the root', '/etc/Runs/Run_1'],
    ['the equipment folder', 'CONFOCAL_01'],
    ['the project folder', 'CONFOCAL_01/PROJ-0042'],
  ])('refuses %s as invalid_run_path', async (_, requested) => {
    const { root, service } = createHarness();
    const run = makeRun(root, RUN);
    const before = snapshotTree(root);
    expect((await refusalOf(service.clearer.clear(requested, operator))).code).toBe('invalid_run_path');
    expect(snapshotTree(root)).toEqual(before);
    expect(fs.existsSync(run)).toBe(true);
  });

  it('refuses a run leaf that is a symlink to a run outside the root, and leaves the target whole', async () => {
    const { root, service } = createHarness();
    const outsideRoot = path.join(path.dirname(root), 'outside');
    const target = makeRun(outsideRoot, RUN);
    const before = snapshotTree(target);
    fs.mkdirSync(path.join(root, 'EQ/P/Runs'), { recursive: true });
    fs.symlinkSync(target, path.join(root, 'EQ/P/Runs/Run_link'));
    expect((await refusalOf(service.clearer.clear('EQ/P/Runs/Run_link', operator))).code).toBe('invalid_run_path');
    expect(snapshotTree(target)).toEqual(before);
  });

  it('refuses a run reached through a symlinked equipment folder', async () => {
    const { root, service } = createHarness();
    const outsideRoot = path.join(path.dirname(root), 'outside');
    const target = makeRun(outsideRoot, 'EQ/P/Runs/Run_1');
    fs.symlinkSync(path.join(outsideRoot, 'EQ'), path.join(root, 'EQ'));
    expect((await refusalOf(service.clearer.clear('EQ/P/Runs/Run_1', operator))).code).toBe('invalid_run_path');
    expect(fs.existsSync(target)).toBe(true);
  });

  it('removes a symlink inside a run that points outside, and keeps what it points to', async () => {
    const { root, service } = createHarness();
    const precious = path.join(path.dirname(root), 'precious');
    writeFiles(precious, { 'results.csv': 'keep me' });
    const run = makeRun(root, RUN);
    fs.symlinkSync(precious, path.join(run, 'linked-folder'));
    fs.symlinkSync(path.join(precious, 'results.csv'), path.join(run, 'linked-file'));
    sealRun(run);
    await service.clearer.clear(RUN, operator);
    expect(fs.existsSync(run)).toBe(false);
    expect(fs.readFileSync(path.join(precious, 'results.csv'), 'utf8')).toBe('keep me');
  });
});

describe('bytes freed of a sparse file', () => {
  it('counts the blocks a sparse file holds, not its apparent size, in the listing, the dry run, the clear and the journal', async () => {
    const harness = createHarness();
    const run = makeRun(harness.root, RUN);
    const sparse = path.join(run, 'sparse.raw');
    const handle = fs.openSync(sparse, 'w');
    fs.writeSync(handle, Buffer.alloc(4096, 1), 0, 4096, 0);
    fs.ftruncateSync(handle, 64 * 1024 * 1024);
    fs.closeSync(handle);
    sealRun(run);
    const { size, blocks } = fs.statSync(sparse);
    expect(blocks * 512).toBeLessThan(size);
    const expected = treeTotals(run).bytes - size + blocks * 512;
    const [row] = (await harness.service.runs.listRuns()).runs;
    expect(row).toMatchObject({ bytes_to_free: expected });
    expect(row?.byte_total).toBeGreaterThan(size);
    expect((await harness.service.clearer.clear(RUN, { ...operator, dryRun: true })).bytes_freed).toBe(expected);
    expect((await harness.service.clearer.clear(RUN, operator)).bytes_freed).toBe(expected);
    expect(journalLines(harness)).toMatchObject([{ bytes_freed: expected }]);
  });
});

describe('dry run', () => {
  it('says what would go and deletes nothing', async () => {
    const harness = createHarness();
    const run = makeRun(harness.root, RUN);
    const before = snapshotTree(run);
    const expected = treeTotals(run);
    expect(await harness.service.clearer.clear(RUN, { ...operator, dryRun: true })).toMatchObject({
      outcome: 'would_clear',
      files_freed: expected.files,
      bytes_freed: expected.bytes,
      cleared_at: null,
    });
    expect(snapshotTree(run)).toEqual(before);
    expect(journalLines(harness)).toEqual([]);
  });
});

describe('interrupted clears', () => {
  it('resumes a run whose ingest.json says cleared but whose files remain, journaling it as resumed', async () => {
    const harness = createHarness();
    const run = makeRun(harness.root, RUN, { state: 'cleared' });
    const expected = clearTotals(run);
    expect(await harness.service.clearer.clear(RUN, operator)).toMatchObject({
      outcome: 'cleared',
      files_freed: expected.files,
    });
    expect(fs.existsSync(run)).toBe(false);
    expect(journalLines(harness)).toMatchObject([{ outcome: 'cleared', resumed: true, files_freed: expected.files }]);
  });

  itAsRoot('keeps unknown ingest fields in the cleared record written before deleting', async () => {
    const harness = createHarness();
    const legacy = 'TECAN_02/PROJ-0007/Run_2025-11-02T08-00';
    const run = makeRun(harness.root, legacy);
    writeIngest(run, readExample('ingest.v1_0_with_unknown_fields.json'));
    sealRun(run, { writtenAt: new Date('2025-11-02T09:00:00Z') });
    const stuck = path.join(run, 'image_0001.tif');
    const error = await withImmutable([stuck], () => refusalOf(harness.service.clearer.clear(legacy, operator)));
    expect(error.code).toBe('clear_incomplete');
    const ingest = readIngestJson(run);
    expect(ingest).toMatchObject({
      schema_version: '1.1',
      current_state: 'cleared',
      operator_note: 'kept by every writer: a field this reader does not know',
    });
    expect((ingest.history as Array<Record<string, unknown>>)[3]?.verifier).toBe('sha256-v2');
    expect((ingest.history as unknown[]).at(-1)).toEqual({
      state: 'cleared',
      at: '2026-04-20T12:00:00Z',
      host: 'test-host',
      actor: 'alice',
    });
  });

  itAsRoot('goes past an undeletable file, answers clear_incomplete naming it, then a retry finishes', async () => {
    const harness = createHarness();
    const run = makeRun(harness.root, RUN, {
      files: { 'a.dat': 'aaaa', 'raw/locked.dat': 'locked!', 'raw/b.dat': 'bb' },
    });
    const all = clearTotals(run);
    const ingestPath = path.join(run, '.exlab-wizard/ingest.json');
    const ingestBefore = fs.statSync(ingestPath).size;
    const locked = path.join(run, 'raw/locked.dat');
    const error = await withImmutable([locked], () => refusalOf(harness.service.clearer.clear(RUN, operator)));
    expect(error.code).toBe('clear_incomplete');
    expect(error.details).toMatchObject({
      left: [{ path: 'raw/locked.dat', code: 'EPERM' }],
      left_count: 1,
      // The locked file stays, and ingest.json and the manifest, which go last.
      files_freed: all.files - 3,
    });
    expect(fs.readdirSync(run).sort()).toEqual(['.exlab-wizard', 'raw']);
    expect(fs.readdirSync(path.join(run, 'raw'))).toEqual(['locked.dat']);
    expect(readIngestJson(run).current_state).toBe('cleared');

    // The resumed clear frees ingest.json as the first one left it.
    const grownBy = fs.statSync(ingestPath).size - ingestBefore;
    const retry = (await harness.service.clearer.clear(RUN, operator)) as ClearAnswer;
    expect(retry).toMatchObject({ outcome: 'cleared', files_freed: 3 });
    expect(fs.existsSync(run)).toBe(false);
    const records = journalLines(harness);
    expect(records.map((r) => [r.outcome, r.resumed])).toEqual([
      ['clear_incomplete', false],
      ['cleared', true],
    ]);
    expect(records.reduce((sum, r) => sum + (r.files_freed as number), 0)).toBe(all.files);
    expect(records.reduce((sum, r) => sum + (r.bytes_freed as number), 0)).toBe(all.bytes + grownBy);
  });

  itAsRoot('journals nothing for an attempt that removed nothing', async () => {
    const harness = createHarness();
    const run = makeRun(harness.root, RUN, { files: { 'only.dat': 'x' } });
    const everything = ['only.dat', '.exlab-wizard/creation.json', '.exlab-wizard/checksums.sha256'].map((name) =>
      path.join(run, name),
    );
    const error = await withImmutable(everything, () => refusalOf(harness.service.clearer.clear(RUN, operator)));
    // The manifest is not tried before everything else is gone.
    expect(error.details).toMatchObject({ files_freed: 0, left_count: 2 });
    expect(journalLines(harness)).toEqual([]);
    setImmutable(run, false);
  });
});

describe('concurrent clears of one run', () => {
  it('lets exactly one of 10 concurrent clears delete; the others are told, never a crash', async () => {
    const harness = createHarness();
    const run = makeRun(harness.root, RUN, {
      files: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}.dat`, 'data'])),
    });
    const expected = clearTotals(run);
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => harness.service.clearer.clear(RUN, { actor: `client-${i}` })),
    );
    const outcomes = settled.map((result) =>
      result.status === 'fulfilled' ? result.value.outcome : (result.reason as CleanupError).code,
    );
    expect(outcomes.filter((o) => o === 'cleared')).toHaveLength(1);
    expect(outcomes.every((o) => ['cleared', 'already_cleared', 'clear_in_progress'].includes(o))).toBe(true);
    const cleared = settled.find((r) => r.status === 'fulfilled' && r.value.outcome === 'cleared');
    expect((cleared as PromiseFulfilledResult<ClearAnswer>).value.files_freed).toBe(expected.files);
    expect(journalLines(harness)).toHaveLength(1);
  });
});
