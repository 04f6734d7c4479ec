// mtime can be set by anyone (cp -p, rsync -a, touch -d); ctime cannot. A
// file whose inode changed after this service first saw the run verified is
// not known to be what the NAS received, whatever its mtime says.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sightingsFileName } from '../../src/storage/verificationSightings.ts';
import { refusalOf } from '../helpers/refusal.ts';
import { createHarness, type Harness } from '../helpers/serviceHarness.ts';
import { FILES_WRITTEN_AT, makeRun, makeTempDir, reverifyRun, snapshotTree } from '../helpers/stagingTree.ts';

const RUN = 'EQ/P/Runs/Run_1';
const operator = { actor: 'alice' };

// A file from an instrument PC's export, written long before the run was verified.
function oldExport(name: string, content: string): string {
  const file = path.join(makeTempDir('export-'), name);
  fs.writeFileSync(file, content);
  fs.utimesSync(file, FILES_WRITTEN_AT, FILES_WRITTEN_AT);
  return file;
}

// What the service says of the run now (and so notes that it saw it verified).
async function look(h: Harness): Promise<void> {
  const listing = await h.service.runs.listRuns();
  expect(listing.runs.map((row) => row.run_path)).toContain(RUN);
}

async function expectInodeChanged(h: Harness, runDir: string, relativePath: string): Promise<void> {
  const before = snapshotTree(runDir);
  const error = await refusalOf(h.service.clearer.clear(RUN, operator));
  expect(error.code).toBe('unsynced_files');
  expect(error.details).toMatchObject({ unsynced: [{ path: relativePath, reason: 'inode_changed_after_verification' }] });
  expect(error.message).toMatch(/Re-verify the run against the NAS/);
  expect(snapshotTree(runDir)).toEqual(before);
}

describe('the inode test: a file changed after the service saw the run verified', () => {
  it('refuses a file copied with cp -p into a run without a manifest, deleting nothing', async () => {
    const h = createHarness();
    const runDir = makeRun(h.root, RUN, { manifest: false });
    await look(h);
    execFileSync('cp', ['-p', oldExport('copied.tif', 'never synced'), path.join(runDir, 'copied.tif')]);
    expect(fs.statSync(path.join(runDir, 'copied.tif')).mtime).toEqual(FILES_WRITTEN_AT);
    await expectInodeChanged(h, runDir, 'copied.tif');
  });

  it('refuses a listed file replaced by rename (as rsync -a does) with its old mtime kept', async () => {
    const h = createHarness();
    const runDir = makeRun(h.root, RUN);
    await look(h);
    fs.renameSync(oldExport('image_0001.tif', 'another version'), path.join(runDir, 'image_0001.tif'));
    await expectInodeChanged(h, runDir, 'image_0001.tif');
  });

  it('remembers when it first saw the run verified across a restart', async () => {
    const first = createHarness();
    const runDir = makeRun(first.root, RUN, { manifest: false });
    await look(first);
    await first.service.close(1000);
    execFileSync('cp', ['-p', oldExport('copied.tif', 'never synced'), path.join(runDir, 'copied.tif')]);
    const restarted = createHarness({ restartOf: first });
    await expectInodeChanged(restarted, runDir, 'copied.tif');
  });

  it('clears the run once it is verified again (a new sync_verified entry)', async () => {
    const h = createHarness();
    const runDir = makeRun(h.root, RUN, { manifest: false });
    await look(h);
    execFileSync('cp', ['-p', oldExport('copied.tif', 'synced now'), path.join(runDir, 'copied.tif')]);
    await expectInodeChanged(h, runDir, 'copied.tif');
    reverifyRun(runDir, '2026-04-19T08:00:00Z');
    expect((await h.service.clearer.clear(RUN, operator)).outcome).toBe('cleared');
    expect(fs.existsSync(runDir)).toBe(false);
  });

  it('sees a new run staged at the path of one cleared whole afresh, even with the same verification time', async () => {
    const h = createHarness();
    makeRun(h.root, RUN, { manifest: false });
    await look(h);
    expect((await h.service.clearer.clear(RUN, operator)).outcome).toBe('cleared');
    makeRun(h.root, RUN, { manifest: false });
    expect((await h.service.clearer.clear(RUN, operator)).outcome).toBe('cleared');
  });

  it('refuses with journal_unavailable after a restart, deleting nothing and never waiting, when a FIFO stands for its record of sightings', async () => {
    const first = createHarness();
    const runDir = makeRun(first.root, RUN);
    await look(first);
    await first.service.close(1000);
    const listed = path.join(runDir, 'image_0001.tif');
    fs.appendFileSync(listed, ' and more');
    fs.utimesSync(listed, FILES_WRITTEN_AT, FILES_WRITTEN_AT);
    const sightings = path.join(first.journalDir, sightingsFileName('test-host'));
    fs.rmSync(sightings);
    execFileSync('mkfifo', [sightings]);
    const restarted = createHarness({ restartOf: first });
    const before = snapshotTree(runDir);
    for (const dryRun of [true, false]) {
      expect((await refusalOf(restarted.service.clearer.clear(RUN, { ...operator, dryRun }))).code).toBe('journal_unavailable');
    }
    expect(snapshotTree(runDir)).toEqual(before);
  });

  it('refuses with journal_unavailable, deleting nothing, when its record of sightings cannot be read', async () => {
    const h = createHarness();
    const runDir = makeRun(h.root, RUN);
    fs.mkdirSync(path.join(h.journalDir, sightingsFileName('test-host')), { recursive: true });
    const before = snapshotTree(runDir);
    expect((await refusalOf(h.service.clearer.clear(RUN, operator))).code).toBe('journal_unavailable');
    expect(snapshotTree(runDir)).toEqual(before);
  });
});
