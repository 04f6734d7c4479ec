import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CleanupError } from '../../src/domain/errors.ts';
import { refusalOf } from '../helpers/refusal.ts';
import type { VerificationSettings } from '../../src/service/preClearCheck.ts';
import { deleteDirectoryContents, surveyedContents } from '../../src/storage/engine/treeDelete.ts';
import { createHarness, journalLines, type Harness } from '../helpers/serviceHarness.ts';
import { measureAt, openRunAt } from '../helpers/runHandle.ts';
import { makeRun, makeTempDir, readIngestJson, reverifyRun, sealRun, snapshotTree } from '../helpers/stagingTree.ts';

const RUN = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32';
const VERIFIED_AT = Date.parse('2026-04-17T16:18:43Z');
const operator = { actor: 'alice' };

function touch(file: string, atMs: number): void {
  fs.utimesSync(file, new Date(atMs), new Date(atMs));
}

// Refuses the clear with `code`, and proves nothing was deleted or written.
async function expectRefusedWholly(h: Harness, code: string): Promise<CleanupError> {
  const run = path.join(h.root, RUN);
  const before = snapshotTree(run);
  for (const dryRun of [true, false]) {
    const error = await refusalOf(h.service.clearer.clear(RUN, { ...operator, dryRun }));
    expect(error.code).toBe(code);
  }
  expect(snapshotTree(run)).toEqual(before);
  expect(readIngestJson(run).current_state).toBe('sync_verified');
  expect(journalLines(h)).toEqual([]);
  return refusalOf(h.service.clearer.clear(RUN, operator));
}

const nasDirs: string[] = [];
afterEach(() => {
  for (const dir of nasDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

// A service whose nas_mounts maps //nas01/lab to a temporary "NAS mount".
function withNas(nas: VerificationSettings['nas'], mounted = true): { h: Harness; nasRoot: string; nasRun: string } {
  const base = makeTempDir();
  nasDirs.push(base);
  const nasRoot = path.join(base, 'nas01-lab');
  if (mounted) fs.mkdirSync(nasRoot);
  const h = createHarness({ verification: { nas, nasMounts: { '//nas01/lab': nasRoot } } });
  return { h, nasRoot, nasRun: path.join(nasRoot, RUN) };
}

// A NAS copy of the run's data files, as the orchestrator's sync leaves it.
function mirrorToNas(runDir: string, nasRun: string): void {
  fs.cpSync(runDir, nasRun, { recursive: true, filter: (source) => !source.includes('.exlab-wizard') });
}

function flipOneByte(file: string): void {
  const bytes = fs.readFileSync(file);
  bytes[10] = (bytes[10] ?? 0) ^ 0xff;
  fs.writeFileSync(file, bytes);
}

describe('local check: staged files that never reached the NAS', () => {
  it('refuses a late file that is not in the manifest with 409 unsynced_files, listing it', async () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN);
    fs.writeFileSync(path.join(run, 'late_export.csv'), 'late');
    touch(path.join(run, 'late_export.csv'), VERIFIED_AT - 60_000);
    const error = await expectRefusedWholly(h, 'unsynced_files');
    expect(error.details).toEqual({ unsynced: [{ path: 'late_export.csv', reason: 'not_in_manifest' }], unsynced_count: 1 });
    expect(error.message).toContain('late_export.csv');
  });

  it('refuses a listed file modified after verification', async () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN);
    touch(path.join(run, 'metadata/acquisition.xml'), VERIFIED_AT + 3_600_000);
    const error = await expectRefusedWholly(h, 'unsynced_files');
    expect(error.details).toMatchObject({
      unsynced: [{ path: 'metadata/acquisition.xml', reason: 'modified_after_verification' }],
    });
  });

  it('lists at most 20 paths and counts them all', async () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN);
    for (let i = 0; i < 25; i += 1) fs.writeFileSync(path.join(run, `late_${i}.dat`), 'x');
    const error = await expectRefusedWholly(h, 'unsynced_files');
    expect((error.details?.unsynced as unknown[]).length).toBe(20);
    expect(error.details?.unsynced_count).toBe(25);
  });

  it('reads one- and two-space manifests (and the binary star), and does not mind an entry missing locally', async () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN);
    const manifest = path.join(run, '.exlab-wizard/checksums.sha256');
    const lines = fs.readFileSync(manifest, 'utf8').trim().split('\n');
    const mixed = lines.map((line, i) => (i === 0 ? line.replace('  ', ' ') : i === 1 ? line.replace('  ', ' *') : line));
    mixed.push(`${'0'.repeat(64)}  already_on_nas_only.tif`);
    fs.writeFileSync(manifest, `${mixed.sort().join('\n')}\n`);
    expect((await h.service.clearer.clear(RUN, operator)).outcome).toBe('cleared');
  });

  it('uses only the mtime test when the run has no manifest', async () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN, { manifest: false });
    fs.writeFileSync(path.join(run, 'unlisted_but_old.dat'), 'x');
    touch(path.join(run, 'unlisted_but_old.dat'), VERIFIED_AT - 1000);
    fs.writeFileSync(path.join(run, 'new.dat'), 'x');
    const error = await expectRefusedWholly(h, 'unsynced_files');
    expect(error.details).toMatchObject({ unsynced: [{ path: 'new.dat', reason: 'modified_after_verification' }] });
    fs.rmSync(path.join(run, 'new.dat'));
    expect((await h.service.clearer.clear(RUN, operator)).outcome).toBe('cleared');
  });

  it('allows clock skew within mtime_tolerance_seconds, and not beyond', async () => {
    const h = createHarness({ verification: { mtimeToleranceSeconds: 300 } });
    const run = makeRun(h.root, RUN);
    touch(path.join(run, 'image_0001.tif'), VERIFIED_AT + 299_000);
    expect((await h.service.clearer.clear(RUN, { ...operator, dryRun: true })).outcome).toBe('would_clear');
    touch(path.join(run, 'image_0001.tif'), VERIFIED_AT + 301_000);
    await expectRefusedWholly(h, 'unsynced_files');
  });

  it('refuses with verified_time_unparsable, deleting nothing, when the sync_verified time cannot be parsed: the time test is never skipped', async () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN, { verifiedAt: 'soon' });
    touch(path.join(run, 'image_0001.tif'), Date.now());
    await expectRefusedWholly(h, 'verified_time_unparsable');
  });

  it('judges a symbolic link by its own name and time, never its target', async () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN);
    fs.symlinkSync('/etc/hostname', path.join(run, 'unlisted-link'));
    await expectRefusedWholly(h, 'unsynced_files');
    sealRun(run);
    reverifyRun(run, '2026-04-17T17:00:00Z');
    expect((await h.service.clearer.clear(RUN, operator)).outcome).toBe('cleared');
  });

  it('fails closed with manifest_invalid when the manifest exists but is a link, never read through it', async () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN);
    const manifest = path.join(run, '.exlab-wizard/checksums.sha256');
    fs.renameSync(manifest, path.join(run, '.exlab-wizard/real.sha256'));
    fs.symlinkSync('real.sha256', manifest);
    const error = await expectRefusedWholly(h, 'manifest_invalid');
    expect(error.message).toMatch(/checksums\.sha256 cannot be used: it is a symbolic link/);
  });

  it('checks nothing locally when verify_before_clear.local_manifest is off', async () => {
    const h = createHarness({ verification: { localManifest: false } });
    const run = makeRun(h.root, RUN);
    fs.writeFileSync(path.join(run, 'late.dat'), 'x');
    expect((await h.service.clearer.clear(RUN, operator)).outcome).toBe('cleared');
  });

  it('resumes an interrupted clear only when what is left is still synced', async () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN, { state: 'cleared' });
    fs.writeFileSync(path.join(run, 'late.dat'), 'x');
    expect((await refusalOf(h.service.clearer.clear(RUN, operator))).code).toBe('unsynced_files');
    fs.rmSync(path.join(run, 'late.dat'));
    expect((await h.service.clearer.clear(RUN, operator)).outcome).toBe('cleared');
  });

  it('keeps a file that arrives between the check and the delete, and reports it', () => {
    const h = createHarness();
    const run = makeRun(h.root, RUN);
    const rules = { manifestPath: '.exlab-wizard/checksums.sha256', verifiedAtMs: VERIFIED_AT, toleranceMs: 0, seenVerifiedAtMs: null };
    const survey = measureAt(run, { rules });
    expect(survey.unsynced?.count).toBe(0);
    fs.writeFileSync(path.join(run, 'arrived_late.dat'), 'x');
    const opened = openRunAt(run);
    const outcome = deleteDirectoryContents(surveyedContents(opened.run.fd, survey, rules));
    opened.close();
    expect(outcome.left).toEqual([{ path: 'arrived_late.dat', code: 'not_in_manifest' }]);
    expect(fs.readFileSync(path.join(run, 'arrived_late.dat'), 'utf8')).toBe('x');
    expect(fs.existsSync(path.join(run, 'metadata/acquisition.xml'))).toBe(false);
    expect(fs.existsSync(path.join(run, '.exlab-wizard/ingest.json'))).toBe(true);
  });
});

describe('NAS check (verify_before_clear.nas)', () => {
  it('clears when every file is on the NAS with the same size (size mode)', async () => {
    const { h, nasRun } = withNas('size');
    mirrorToNas(makeRun(h.root, RUN), nasRun);
    expect((await h.service.clearer.clear(RUN, operator)).outcome).toBe('cleared');
  });

  it('refuses with nas_copy_mismatch when a file is missing on the NAS or shorter there (size mode)', async () => {
    const { h, nasRun } = withNas('size');
    mirrorToNas(makeRun(h.root, RUN), nasRun);
    fs.rmSync(path.join(nasRun, 'image_0001.tif'));
    fs.writeFileSync(path.join(nasRun, 'image_0002.tif'), 'short');
    const error = await expectRefusedWholly(h, 'nas_copy_mismatch');
    expect(error.details).toMatchObject({
      nas_dir: nasRun,
      difference_count: 2,
      differences: expect.arrayContaining([
        { path: 'image_0001.tif', problem: 'missing_on_nas' },
        { path: 'image_0002.tif', problem: 'size_differs', local_size: 250, nas_size: 5 },
      ]),
    });
  });

  it('lets a same-size copy with one flipped byte pass the size check', async () => {
    const { h, nasRun } = withNas('size');
    mirrorToNas(makeRun(h.root, RUN), nasRun);
    flipOneByte(path.join(nasRun, 'image_0002.tif'));
    expect((await h.service.clearer.clear(RUN, { ...operator, dryRun: true })).outcome).toBe('would_clear');
  });

  it('refuses with nas_copy_mismatch when one byte differs on the NAS (checksum mode)', async () => {
    const { h, nasRun } = withNas('checksum');
    mirrorToNas(makeRun(h.root, RUN), nasRun);
    expect((await h.service.clearer.clear(RUN, { ...operator, dryRun: true })).outcome).toBe('would_clear');
    flipOneByte(path.join(nasRun, 'image_0002.tif'));
    const error = await expectRefusedWholly(h, 'nas_copy_mismatch');
    expect(error.details).toMatchObject({ differences: [{ path: 'image_0002.tif', problem: 'checksum_differs' }] });
  });

  it('hashes both sides in checksum mode when the run has no manifest', async () => {
    const { h, nasRun } = withNas('checksum');
    mirrorToNas(makeRun(h.root, RUN, { manifest: false }), nasRun);
    expect((await h.service.clearer.clear(RUN, { ...operator, dryRun: true })).outcome).toBe('would_clear');
    flipOneByte(path.join(nasRun, 'image_0001.tif'));
    expect((await refusalOf(h.service.clearer.clear(RUN, operator))).code).toBe('nas_copy_mismatch');
  });

  it('refuses with 503 nas_unreachable when no nas_mounts entry maps the nas_path', async () => {
    const h = createHarness({ verification: { nas: 'size', nasMounts: { '//other/share': '/mnt/other' } } });
    makeRun(h.root, RUN);
    const error = await expectRefusedWholly(h, 'nas_unreachable');
    expect(error.message).toContain('no nas_mounts entry');
  });

  it('refuses with nas_unreachable when the NAS mount is not there', async () => {
    const { h, nasRoot } = withNas('size', false);
    makeRun(h.root, RUN);
    const error = await expectRefusedWholly(h, 'nas_unreachable');
    expect(error.message).toContain(nasRoot);
  });

  it('refuses with nas_copy_mismatch when the run folder is missing under a readable mount', async () => {
    const { h } = withNas('size');
    makeRun(h.root, RUN);
    const error = await expectRefusedWholly(h, 'nas_copy_mismatch');
    expect(error.details).toMatchObject({ differences: [{ path: '.', problem: 'missing_on_nas' }] });
  });
});

describe('the policy, the listing and the sweep see the refusals', () => {
  it('answers the refusal as the eligibility reason, before the mode and window', async () => {
    const h = createHarness({ policy: { mode: 'scheduled' } });
    const run = makeRun(h.root, RUN);
    fs.writeFileSync(path.join(run, 'late.csv'), 'x');
    expect(await h.service.runs.eligibility(RUN)).toMatchObject({
      reason: 'unsynced_files',
      clearable: false,
      auto_clear_eligible: false,
    });
    expect((await h.service.runs.getRun(RUN)).eligibility.reason).toBe('unsynced_files');
  });

  it('shows unsynced_files in the listing row, from the same walk that counts', async () => {
    const h = createHarness({ policy: { mode: 'scheduled' } });
    const run = makeRun(h.root, RUN);
    makeRun(h.root, 'EQ/P/Runs/Run_fine');
    fs.writeFileSync(path.join(run, 'late.csv'), 'x');
    const rows = (await h.service.runs.listRuns()).runs;
    expect(Object.fromEntries(rows.map((row) => [row.run_path, row.reason]))).toEqual({
      [RUN]: 'unsynced_files',
      'EQ/P/Runs/Run_fine': 'eligible',
    });
  });

  it('makes the sweep skip such a run and clear the rest', async () => {
    const h = createHarness({ policy: { mode: 'scheduled' } });
    const run = makeRun(h.root, RUN);
    makeRun(h.root, 'EQ/P/Runs/Run_fine');
    const late = path.join(run, 'late.csv');
    fs.writeFileSync(late, 'x');
    touch(late, VERIFIED_AT - 1);
    const done: unknown[] = [];
    h.service.events.on('sweep_done', (summary) => done.push(summary));
    const results = await h.service.clears.sweep({ actor: 'sweeper' });
    expect(results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ run_path: 'EQ/P/Runs/Run_fine', outcome: 'cleared' }),
        expect.objectContaining({ run_path: RUN, error: expect.objectContaining({ code: 'unsynced_files' }) }),
      ]),
    );
    expect(fs.existsSync(run)).toBe(true);
    expect(done).toMatchObject([{ cleared: 1, skipped: 1, failed: 0, skipped_by_reason: { unsynced_files: 1 } }]);
  });
});
