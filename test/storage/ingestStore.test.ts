import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CleanupError } from '../../src/domain/errors.ts';
import { appendTransition as appendAt, readIngest as readAt } from '../../src/storage/ingestStore.ts';
import type { IngestRecord, TransitionEntry } from '../../src/domain/ingestRecord.ts';
import { itAsRoot } from '../helpers/root.ts';
import { withRunAt } from '../helpers/runHandle.ts';
import { makeTempDir, readExample, readIngestJson, writeIngest } from '../helpers/stagingTree.ts';
import { bindMount, unmount } from '../helpers/tmpfs.ts';

let run: string;
beforeEach(() => {
  run = path.join(makeTempDir(), 'TECAN_02/PROJ-0007/Run_2025-11-02T08-00');
  fs.mkdirSync(run, { recursive: true });
});
afterEach(() => fs.rmSync(path.dirname(path.dirname(path.dirname(run))), { recursive: true, force: true }));

const readIngest = (runPath: string) => withRunAt(runPath, (opened) => readAt(opened.run));
const appendTransition = (runPath: string, record: IngestRecord, entry: TransitionEntry) =>
  withRunAt(runPath, (opened) => appendAt(opened.run, { runPath: 'the run', absolutePath: runPath }, record, entry));

async function refusal(): Promise<CleanupError> {
  return readIngest(run).then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: CleanupError) => error,
  );
}

describe('ingest store', () => {
  it('answers null for a run leaf without ingest.json (not yet staged)', async () => {
    expect(await readIngest(run)).toBeNull();
    fs.mkdirSync(path.join(run, '.exlab-wizard'));
    expect(await readIngest(run)).toBeNull();
  });

  it('reads the record with the file mtime and size', async () => {
    writeIngest(run, readExample('ingest.sync_verified.json'));
    const file = await readIngest(run);
    expect(file?.record.view.current_state).toBe('sync_verified');
    expect(file?.stamp).toMatchObject({ kind: 'file', size: fs.statSync(path.join(run, '.exlab-wizard/ingest.json')).size });
  });

  it('refuses an ingest.json that is a symbolic link', async () => {
    const elsewhere = path.join(path.dirname(run), 'elsewhere.json');
    fs.writeFileSync(elsewhere, readExample('ingest.sync_verified.json'));
    fs.mkdirSync(path.join(run, '.exlab-wizard'));
    fs.symlinkSync(elsewhere, path.join(run, '.exlab-wizard/ingest.json'));
    expect((await refusal()).code).toBe('ingest_invalid');
  });

  it('refuses a .exlab-wizard that is a symbolic link', async () => {
    const elsewhere = path.join(path.dirname(run), 'meta');
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, 'ingest.json'), readExample('ingest.sync_verified.json'));
    fs.symlinkSync(elsewhere, path.join(run, '.exlab-wizard'));
    expect((await refusal()).code).toBe('ingest_invalid');
  });

  it('refuses an ingest.json that is a folder', async () => {
    fs.mkdirSync(path.join(run, '.exlab-wizard/ingest.json'), { recursive: true });
    expect((await refusal()).code).toBe('ingest_invalid');
  });

  it('refuses another schema major', async () => {
    writeIngest(run, { ...JSON.parse(readExample('ingest.sync_verified.json')), schema_version: '2.0' });
    expect((await refusal()).code).toBe('schema_major_mismatch');
  });

  it('round-trips the 1.0 example with unknown fields and leaves the Wizard lock file alone', async () => {
    writeIngest(run, readExample('ingest.v1_0_with_unknown_fields.json'));
    const wizardLock = path.join(run, '.exlab-wizard/ingest.json.lock');
    fs.writeFileSync(wizardLock, '');
    const before = JSON.parse(readExample('ingest.v1_0_with_unknown_fields.json'));
    const file = await readIngest(run);
    await appendTransition(run, file!.record, { state: 'cleared', at: '2026-04-20T12:00:00Z', host: 'cleanup-1' });
    const after = readIngestJson(run);
    expect(after.schema_version).toBe('1.1');
    expect(after.operator_note).toBe(before.operator_note);
    expect((after.history as unknown[]).slice(0, 4)).toEqual(before.history);
    expect(fs.statSync(wizardLock).isFile()).toBe(true);
    expect(fs.readdirSync(path.join(run, '.exlab-wizard')).sort()).toEqual(['ingest.json', 'ingest.json.lock']);
  });

  it('writes whole JSON ending in a newline, leaving no temporary file behind, and answers its size', async () => {
    writeIngest(run, readExample('ingest.sync_verified.json'));
    const file = await readIngest(run);
    const written = await appendTransition(run, file!.record, { state: 'cleared', at: '2026-04-20T12:00:00Z', host: 'h' });
    const text = fs.readFileSync(path.join(run, '.exlab-wizard/ingest.json'), 'utf8');
    expect(written.size).toBe(fs.statSync(path.join(run, '.exlab-wizard/ingest.json')).size);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text).current_state).toBe('cleared');
    expect(fs.readdirSync(path.join(run, '.exlab-wizard'))).toEqual(['ingest.json']);
  });

  it('refuses to move a run that is not sync_verified to cleared, writing nothing', async () => {
    writeIngest(run, readExample('ingest.test_run.sync_queued.json'));
    const before = fs.readFileSync(path.join(run, '.exlab-wizard/ingest.json'));
    const file = await readIngest(run);
    await expect(
      appendTransition(run, file!.record, { state: 'cleared', at: '2026-04-20T12:00:00Z', host: 'h' }),
    ).rejects.toMatchObject({ code: 'staging_not_sync_verified' });
    expect(fs.readFileSync(path.join(run, '.exlab-wizard/ingest.json'))).toEqual(before);
  });

  itAsRoot('neither reads nor writes a record whose .exlab-wizard folder is another filesystem mounted in the run', async () => {
    writeIngest(run, readExample('ingest.sync_verified.json'));
    const file = await readIngest(run);
    const meta = path.join(run, '.exlab-wizard');
    const elsewhere = makeTempDir();
    fs.cpSync(meta, elsewhere, { recursive: true });
    const before = fs.readFileSync(path.join(elsewhere, 'ingest.json'));
    bindMount(elsewhere, meta);
    try {
      expect((await refusal()).message).toContain('.exlab-wizard is another filesystem mounted in the run');
      await expect(
        appendTransition(run, file!.record, { state: 'cleared', at: '2026-04-20T12:00:00Z', host: 'h' }),
      ).rejects.toMatchObject({ code: 'ingest_unwritable', details: { error_code: 'EXDEV' } });
      expect(fs.readFileSync(path.join(elsewhere, 'ingest.json'))).toEqual(before);
    } finally {
      unmount(meta);
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
