import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { treeTasks } from '../../../src/storage/engine/treeTasks.ts';
import { measureAt, runRefAt } from '../../helpers/runHandle.ts';
import { makeRun, makeTempDir, writeFiles } from '../../helpers/stagingTree.ts';

let base: string;
beforeEach(() => {
  base = makeTempDir();
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

describe('measureTree', () => {
  it('counts files and bytes with and without .exlab-wizard/', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a.dat': '1234', 'sub/b.dat': '56' } });
    const ingestBytes = fs.statSync(path.join(run, '.exlab-wizard/ingest.json')).size;
    const creationBytes = fs.statSync(path.join(run, '.exlab-wizard/creation.json')).size;
    const manifestBytes = fs.statSync(path.join(run, '.exlab-wizard/checksums.sha256')).size;
    const measure = measureAt(run);
    expect(measure).toMatchObject({
      dataFiles: 2,
      dataBytes: 6,
      files: 5,
      bytes: 6 + ingestBytes + creationBytes + manifestBytes,
    });
  });

  it('counts a link by its own size and never follows it', () => {
    const outside = path.join(base, 'big');
    writeFiles(outside, { 'huge.dat': 'x'.repeat(10_000) });
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: {} });
    fs.symlinkSync(outside, path.join(run, 'to-dir'));
    const measure = measureAt(run);
    expect(measure.dataFiles).toBe(1);
    expect(measure.dataBytes).toBe(outside.length);
  });

  it('records the mtime of every directory, the run itself first', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/b/c.dat': 'x' } });
    const measure = measureAt(run);
    expect(measure.directories.map((d) => d.relativePath).sort()).toEqual(['', '.exlab-wizard', 'a', 'a/b']);
    const { mtimeMs, ctimeMs, ino } = fs.statSync(run);
    expect(measure.directories[0]).toEqual({ relativePath: '', mtimeMs, ctimeMs, ino, files: 0, bytes: 0 });
    expect(measure.directories.find((d) => d.relativePath === 'a/b')).toMatchObject({ files: 1, bytes: 1 });
  });

  it('measures a run that cannot be opened (gone, or a link) as null', () => {
    makeRun(base, 'EQ/P/Runs/Run_1');
    fs.symlinkSync(path.join(base, 'EQ/P/Runs/Run_1'), path.join(base, 'EQ/P/Runs/Run_link'));
    const runs = ['Run_gone', 'Run_link'].map((name) => ({ run: runRefAt(base, `EQ/P/Runs/${name}`) }));
    expect(treeTasks.measure({ runs })).toEqual([null, null]);
  });
});
