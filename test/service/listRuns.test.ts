import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHarness } from '../helpers/serviceHarness.ts';
import { FILES_WRITTEN_AT, ingestFor, makeRun, readExample, treeTotals, writeIngest } from '../helpers/stagingTree.ts';

describe('listing staged runs', () => {
  it('answers one row per staged run with the fields of the Wizard row and the policy', async () => {
    const { root, service } = createHarness({ policy: { mode: 'scheduled', retainHours: 24 } });
    makeRun(root, 'EQ/P/Runs/Run_1', { files: { 'a.dat': '12345', 'sub/b.dat': '67' } });
    const { runs, problems } = await service.runs.listRuns();
    expect(problems).toEqual([]);
    expect(runs).toEqual([
      {
        path: path.join(root, 'EQ/P/Runs/Run_1'),
        run_path: 'EQ/P/Runs/Run_1',
        current_state: 'sync_verified',
        equipment_id: 'EQ',
        project_id: 'P',
        project_name: 'Project P',
        run_kind: 'experimental',
        ingest_mismatch: [],
        file_count: 2,
        byte_total: 7,
        files_to_free: 5,
        bytes_to_free: treeTotals(path.join(root, 'EQ/P/Runs/Run_1')).bytes,
        elapsed_seconds_since_last_activity: 243_677,
        last_activity_at: '2026-04-17T16:18:43Z',
        clearable: true,
        auto_clear_eligible: true,
        eligible_at: '2026-04-18T16:18:43Z',
        verified_at: '2026-04-17T16:18:43Z',
        reason: 'eligible',
      },
    ]);
  });

  it('sorts by last activity, newest first, then by path', async () => {
    const { root, service } = createHarness();
    makeRun(root, 'EQ/P/Runs/Run_old', { verifiedAt: '2026-04-10T00:00:00Z' });
    makeRun(root, 'EQ/P/Runs/Run_b', { verifiedAt: '2026-04-15T00:00:00Z' });
    makeRun(root, 'EQ/P/Runs/Run_a', { verifiedAt: '2026-04-15T00:00:00Z' });
    makeRun(root, 'EQ/P/Runs/Run_new', { verifiedAt: '2026-04-19T00:00:00Z' });
    const { runs } = await service.runs.listRuns();
    expect(runs.map((row) => row.run_path)).toEqual([
      'EQ/P/Runs/Run_new',
      'EQ/P/Runs/Run_a',
      'EQ/P/Runs/Run_b',
      'EQ/P/Runs/Run_old',
    ]);
  });

  it('uses the directory mtime as last activity when the last history time is unparsable', async () => {
    const { root, service } = createHarness();
    const run = makeRun(root, 'EQ/P/Runs/Run_1', { verifiedAt: 'garbage' });
    const mtime = new Date('2026-04-19T08:00:00Z');
    fs.utimesSync(run, mtime, mtime);
    const [row] = (await service.runs.listRuns()).runs;
    expect(row?.last_activity_at).toBe('2026-04-19T08:00:00Z');
  });

  it('filters by state, eligibility, equipment and run kind', async () => {
    const { root, service } = createHarness({ policy: { mode: 'scheduled' } });
    makeRun(root, 'EQ/P/Runs/Run_verified');
    makeRun(root, 'EQ/P/Runs/Run_queued', { state: 'sync_queued' });
    makeRun(root, 'EQ/P/TestRuns/TestRun_1', { state: 'complete' });
    makeRun(root, 'OTHER/P/Runs/Run_fresh', { verifiedAt: '2026-04-20T11:00:00Z' });
    const paths = async (filter: Parameters<typeof service.runs.listRuns>[0]) =>
      (await service.runs.listRuns(filter)).runs.map((row) => row.run_path).sort();
    expect(await paths({ state: 'sync_queued' })).toEqual(['EQ/P/Runs/Run_queued']);
    expect(await paths({ eligible: true })).toEqual(['EQ/P/Runs/Run_verified']);
    expect(await paths({ eligible: false })).toHaveLength(3);
    expect(await paths({ equipment_id: 'OTHER' })).toEqual(['OTHER/P/Runs/Run_fresh']);
    expect(await paths({ run_kind: 'test' })).toEqual(['EQ/P/TestRuns/TestRun_1']);
  });

  it('leaves a run folder without ingest.json (still arriving) out of both runs and problems', async () => {
    const { root, service } = createHarness();
    fs.mkdirSync(path.join(root, 'EQ/P/Runs/Run_arriving'), { recursive: true });
    makeRun(root, 'EQ/P/Runs/Run_ok');
    const { runs, problems } = await service.runs.listRuns();
    expect(runs.map((row) => row.run_path)).toEqual(['EQ/P/Runs/Run_ok']);
    expect(problems).toEqual([]);
  });

  it('lists runs it cannot use under problems', async () => {
    const { root, service } = createHarness();
    writeIngest(path.join(root, 'EQ/P/Runs/Run_broken'), '{ not json');
    writeIngest(path.join(root, 'EQ/P/Runs/Run_v2'), { ...ingestFor('EQ/P/Runs/Run_v2'), schema_version: '2.0' });
    makeRun(root, 'EQ/P/Runs/Run_ok');
    const { runs, problems } = await service.runs.listRuns();
    expect(runs.map((row) => row.run_path)).toEqual(['EQ/P/Runs/Run_ok']);
    expect(problems.sort((a, b) => a.run_path.localeCompare(b.run_path))).toMatchObject([
      { run_path: 'EQ/P/Runs/Run_broken', code: 'ingest_invalid', path: path.join(root, 'EQ/P/Runs/Run_broken') },
      { run_path: 'EQ/P/Runs/Run_v2', code: 'schema_major_mismatch' },
    ]);
  });

  it('shows the example records as the Wizard writes them', async () => {
    const { root, service } = createHarness();
    writeIngest(path.join(root, 'TECAN_02/PROJ-0007/Run_2025-11-02T08-00'), readExample('ingest.v1_0_with_unknown_fields.json'));
    writeIngest(
      path.join(root, 'CONFOCAL_01/PROJ-0042/TestRuns/TestRun_2026-04-17T09-12'),
      readExample('ingest.test_run.sync_queued.json'),
    );
    const { runs } = await service.runs.listRuns();
    expect(runs.map((row) => [row.run_path, row.current_state, row.clearable])).toEqual([
      ['CONFOCAL_01/PROJ-0042/TestRuns/TestRun_2026-04-17T09-12', 'sync_queued', false],
      ['TECAN_02/PROJ-0007/Run_2025-11-02T08-00', 'sync_verified', true],
    ]);
  });

  it('answers staging_root_unavailable when the root is gone', async () => {
    const { root, service } = createHarness();
    fs.rmSync(root, { recursive: true });
    await expect(service.runs.listRuns()).rejects.toMatchObject({ code: 'staging_root_unavailable' });
  });
});

describe('cached counts', () => {
  it('reuses the counts of a settled run until a directory in it changes', async () => {
    const { root, service } = createHarness();
    const run = makeRun(root, 'EQ/P/Runs/Run_1', { files: { 'sub/a.dat': 'aaaa' } });
    expect((await service.runs.listRuns()).runs[0]?.file_count).toBe(1);
    fs.writeFileSync(path.join(run, 'sub/b.dat'), 'bb');
    expect((await service.runs.listRuns()).runs[0]).toMatchObject({ file_count: 2, byte_total: 6 });
  });

  it('measures a run that is still receiving data on every listing', async () => {
    const { root, service } = createHarness();
    const run = makeRun(root, 'EQ/P/Runs/Run_1', { state: 'staging', files: { 'a.dat': 'a' } });
    expect((await service.runs.listRuns()).runs[0]?.byte_total).toBe(1);
    fs.appendFileSync(path.join(run, 'a.dat'), 'more');
    expect((await service.runs.listRuns()).runs[0]?.byte_total).toBe(5);
  });

  it('measures again once ingest.json is rewritten', async () => {
    const { root, service } = createHarness();
    const run = makeRun(root, 'EQ/P/Runs/Run_1', { files: { 'a.dat': 'a' } });
    expect((await service.runs.listRuns()).runs[0]?.byte_total).toBe(1);
    const dir = fs.statSync(run);
    fs.appendFileSync(path.join(run, 'a.dat'), 'more');
    fs.utimesSync(run, dir.atime, dir.mtime);
    writeIngest(run, { ...ingestFor('EQ/P/Runs/Run_1'), note: 'rewritten' });
    expect((await service.runs.listRuns()).runs[0]?.byte_total).toBe(5);
  });
});

describe('a manifest rewritten in place', () => {
  const scheduled = { policy: { mode: 'scheduled' as const, retainHours: 24 } };
  const withoutImage2 = (text: string): string =>
    text
      .split('\n')
      .filter((line) => !line.endsWith('image_0002.tif'))
      .join('\n');

  // Same inode, no entry added or removed, so the folder keeps its mtime:
  // only the manifest's own stamps tell.
  function rewriteInPlace(manifest: string, text: string, putMtimeBack: boolean): void {
    const before = fs.statSync(manifest);
    const folder = fs.statSync(path.dirname(manifest));
    fs.writeFileSync(manifest, text);
    if (putMtimeBack) fs.utimesSync(manifest, before.atime, before.mtime);
    const after = fs.statSync(manifest);
    expect(after.ino).toBe(before.ino);
    if (putMtimeBack) expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(fs.statSync(path.dirname(manifest)).mtimeMs).toBe(folder.mtimeMs);
  }

  it.each([
    ['its mtime changed', false],
    ['its mtime put back, only its ctime changed', true],
  ])(
    'makes the next listing say unsynced_files once a line is dropped, and eligible once it is back (%s)',
    async (_, putMtimeBack) => {
      const { root, service } = createHarness(scheduled);
      const manifest = path.join(makeRun(root, 'EQ/P/Runs/Run_1'), '.exlab-wizard/checksums.sha256');
      // A whole second, which utimes can put back exactly.
      fs.utimesSync(manifest, FILES_WRITTEN_AT, FILES_WRITTEN_AT);
      const whole = fs.readFileSync(manifest, 'utf8');
      expect((await service.runs.listRuns()).runs[0]).toMatchObject({ reason: 'eligible', clearable: true });
      rewriteInPlace(manifest, withoutImage2(whole), putMtimeBack);
      expect((await service.runs.listRuns()).runs[0]).toMatchObject({ reason: 'unsynced_files', clearable: false });
      rewriteInPlace(manifest, whole, putMtimeBack);
      expect((await service.runs.listRuns()).runs[0]).toMatchObject({ reason: 'eligible', clearable: true });
    },
  );

  it('notices a rewrite of a manifest that checksum_file names outside .exlab-wizard/, on every listing', async () => {
    const { root, service } = createHarness(scheduled);
    const runPath = 'EQ/P/Runs/Run_1';
    const run = makeRun(root, runPath);
    const ingest = ingestFor(runPath) as { history: Array<Record<string, unknown>> };
    for (const entry of ingest.history) if (entry.state === 'sync_verified') entry.checksum_file = 'sums/run.sha256';
    writeIngest(run, ingest);
    const manifest = path.join(run, 'sums/run.sha256');
    fs.mkdirSync(path.dirname(manifest));
    // Outside .exlab-wizard/, the manifest is a staged file too: it lists itself.
    const listed = (text: string): string => `${text}${'0'.repeat(64)}  sums/run.sha256\n`;
    const whole = listed(fs.readFileSync(path.join(run, '.exlab-wizard/checksums.sha256'), 'utf8'));
    fs.writeFileSync(manifest, whole);
    const old = fs.statSync(path.join(run, 'image_0001.tif'));
    for (const item of [manifest, path.dirname(manifest), run]) fs.utimesSync(item, old.atime, old.mtime);
    // The first listing stamps the usual manifest; later ones the named one.
    for (let round = 0; round < 3; round += 1) {
      expect((await service.runs.listRuns()).runs[0]).toMatchObject({ reason: 'eligible' });
      rewriteInPlace(manifest, withoutImage2(whole), true);
      expect((await service.runs.listRuns()).runs[0]).toMatchObject({ reason: 'unsynced_files' });
      rewriteInPlace(manifest, whole, true);
    }
  });
});

describe('one run', () => {
  it('answers the row with its history, NAS path and eligibility', async () => {
    const { root, service } = createHarness();
    makeRun(root, 'EQ/P/Runs/Run_1');
    const detail = await service.runs.getRun('EQ/P/Runs/Run_1');
    expect(detail).toMatchObject({
      run_path: 'EQ/P/Runs/Run_1',
      nas_path: '//nas01/lab/EQ/P/Runs/Run_1',
      eligibility: { reason: 'manual_mode', clearable: true, auto_clear_eligible: false },
    });
    expect(detail.history.map((entry) => entry.state)).toEqual([
      'staging',
      'complete',
      'sync_queued',
      'sync_verified',
    ]);
  });

  it('answers the policy decision alone for eligibility', async () => {
    const { root, service } = createHarness({ policy: { mode: 'scheduled' } });
    makeRun(root, 'EQ/P/Runs/Run_1', { verifiedAt: '2026-04-20T00:00:00Z' });
    expect(await service.runs.eligibility('EQ/P/Runs/Run_1')).toEqual({
      run_path: 'EQ/P/Runs/Run_1',
      current_state: 'sync_verified',
      reason: 'retain_window',
      message: expect.stringContaining('2026-04-21T00:00:00Z'),
      clearable: true,
      auto_clear_eligible: false,
      verified_at: '2026-04-20T00:00:00Z',
      eligible_at: '2026-04-21T00:00:00Z',
    });
  });

  it('answers run_not_found for a missing run and for a leaf without ingest.json', async () => {
    const { root, service } = createHarness();
    fs.mkdirSync(path.join(root, 'EQ/P/Runs/Run_arriving'), { recursive: true });
    await expect(service.runs.getRun('EQ/P/Runs/Run_none')).rejects.toMatchObject({ code: 'run_not_found' });
    await expect(service.runs.eligibility('EQ/P/Runs/Run_arriving')).rejects.toMatchObject({ code: 'run_not_found' });
  });

  it('answers the ingest error for a run whose ingest.json is broken', async () => {
    const { root, service } = createHarness();
    writeIngest(path.join(root, 'EQ/P/Runs/Run_1'), '[]');
    await expect(service.runs.getRun('EQ/P/Runs/Run_1')).rejects.toMatchObject({ code: 'ingest_invalid' });
  });
});
