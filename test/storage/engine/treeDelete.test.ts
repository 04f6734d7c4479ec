import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_REPORTED } from '../../../src/storage/engine/deleteTally.ts';
import { removeSurveyedShell } from '../../../src/storage/engine/shellRemoval.ts';
import { deleteDirectoryContents, surveyedContents } from '../../../src/storage/engine/treeDelete.ts';
import { deleteTree } from '../../helpers/deleteTree.ts';
import { setImmutable, withImmutable } from '../../helpers/faults.ts';
import { measureAt, openRunAt } from '../../helpers/runHandle.ts';
import { listTree, makeRun, makeTempDir, treeTotals, writeFiles } from '../../helpers/stagingTree.ts';
import { itAsRoot } from '../../helpers/root.ts';

let base: string;
beforeEach(() => {
  base = makeTempDir();
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

describe('deleting a surveyed run', () => {
  it('removes the whole run, counting every non-directory entry and its lstat bytes', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1');
    fs.symlinkSync('image_0001.tif', path.join(run, 'link-to-image'));
    const expected = treeTotals(run);
    const outcome = deleteTree(run);
    expect(outcome).toEqual({ ...expected, left: [], leftCount: 0, stopped: false, stuck: {} });
    expect(fs.existsSync(run)).toBe(false);
    expect(fs.existsSync(path.join(base, 'EQ/P/Runs'))).toBe(true);
  });

  it('removes a link to outside the run but never what it points to', () => {
    const outside = path.join(base, 'precious');
    writeFiles(outside, { 'keep.dat': 'do not delete' });
    const run = makeRun(base, 'EQ/P/Runs/Run_1');
    fs.symlinkSync(outside, path.join(run, 'linked-dir'));
    fs.symlinkSync(path.join(outside, 'keep.dat'), path.join(run, 'linked-file'));
    deleteTree(run);
    expect(fs.existsSync(run)).toBe(false);
    expect(fs.readFileSync(path.join(outside, 'keep.dat'), 'utf8')).toBe('do not delete');
  });

  it('treats a .exlab-wizard that is a link as an entry and never enters it', () => {
    const outside = path.join(base, 'elsewhere');
    writeFiles(outside, { 'ingest.json': '{}', 'other.txt': 'x' });
    const run = path.join(base, 'EQ/P/Runs/Run_1');
    writeFiles(run, { 'data.bin': '12345' });
    fs.symlinkSync(outside, path.join(run, '.exlab-wizard'));
    const outcome = deleteTree(run);
    expect(outcome.leftCount).toBe(0);
    expect(fs.existsSync(run)).toBe(false);
    expect(listTree(outside)).toEqual(['ingest.json', 'other.txt']);
  });

  it('removes ingest.json last: the progress reports show data going first', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a.dat': 'a', 'b/c.dat': 'c' } });
    const ingest = path.join(run, '.exlab-wizard/ingest.json');
    const seen: boolean[] = [];
    deleteTree(run, {
      progressEveryFiles: 1,
      onProgress: () => seen.push(fs.existsSync(ingest)),
    });
    expect(seen.slice(0, -2).every(Boolean)).toBe(true);
    expect(seen.at(-1)).toBe(false);
  });

  itAsRoot('keeps going past a file it cannot delete, names it, and keeps ingest.json for the retry', async () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', {
      files: { 'a.dat': 'aaaa', 'stuck/locked.dat': 'locked', 'z.dat': 'zz' },
    });
    const locked = path.join(run, 'stuck/locked.dat');
    const outcome = await withImmutable([locked], () => deleteTree(run));
    expect(outcome.left).toEqual([{ path: 'stuck/locked.dat', code: 'EPERM' }]);
    expect(outcome.leftCount).toBe(1);
    expect(outcome.files).toBe(4); // a.dat, z.dat, creation.json, checksums.sha256
    expect(listTree(run)).toEqual([
      '.exlab-wizard',
      '.exlab-wizard/ingest.json',
      'stuck',
      'stuck/locked.dat',
    ]);
    const retry = deleteTree(run);
    expect(retry).toMatchObject({ files: 2, leftCount: 0 });
    expect(fs.existsSync(run)).toBe(false);
  });

  itAsRoot(`reports at most ${MAX_REPORTED} paths it could not delete, with the total`, async () => {
    const files = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`f${i}.dat`, 'x']));
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files });
    const locked = Object.keys(files).map((name) => path.join(run, name));
    const outcome = await withImmutable(locked, () => deleteTree(run));
    expect(outcome.left).toHaveLength(MAX_REPORTED);
    expect(outcome.leftCount).toBe(25);
  });

  itAsRoot('reports an immutable folder and each entry it holds, but not the folders above them', async () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', {
      files: { 'deep/sealed/one.dat': '1', 'free.dat': '2' },
    });
    const sealed = path.join(run, 'deep/sealed');
    const outcome = await withImmutable([sealed], () => deleteTree(run));
    expect(outcome.left).toEqual([
      { path: 'deep/sealed/one.dat', code: 'EPERM' },
      { path: 'deep/sealed', code: 'EPERM' },
    ]);
    expect(fs.existsSync(path.join(run, 'free.dat'))).toBe(false);
  });

  it('stops between entries when asked and leaves ingest.json in place', () => {
    const files = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}.dat`, 'x']));
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files });
    let seen = 0;
    const outcome = deleteTree(run, { shouldStop: () => ++seen > 10 });
    expect(outcome.stopped).toBe(true);
    expect(outcome.files).toBeGreaterThan(0);
    expect(outcome.files).toBeLessThan(50);
    expect(fs.existsSync(path.join(run, '.exlab-wizard/ingest.json'))).toBe(true);
  });

  it('removes the entries of the surveyed folders and counts their bytes, ingest.json apart', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/one.dat': '1', 'a/two.dat': '22', 'b/three.dat': '333' } });
    const expected = treeTotals(run);
    const survey = measureAt(run);
    expect(survey.directories.find((d) => d.relativePath === 'a')).toMatchObject({ files: 2, bytes: 3 });
    const opened = openRunAt(run);
    const contents = deleteDirectoryContents(surveyedContents(opened.run.fd, survey));
    opened.close();
    const ingestBytes = fs.statSync(path.join(run, '.exlab-wizard/ingest.json')).size;
    expect(contents).toMatchObject({ files: expected.files - 1, bytes: expected.bytes - ingestBytes, leftCount: 0 });
  });

  it('counts ingest.json once in a resumed clear', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { state: 'cleared', files: { 'a/one.dat': '1' } });
    const old = new Date('2026-04-18T00:00:00Z');
    fs.utimesSync(path.join(run, '.exlab-wizard'), old, old);
    const expected = treeTotals(run);
    expect(deleteTree(run)).toMatchObject({ files: expected.files, bytes: expected.bytes, leftCount: 0 });
    expect(fs.existsSync(run)).toBe(false);
  });

  it('keeps a folder that appeared after the survey, and reports it', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/one.dat': '1' } });
    const survey = measureAt(run);
    fs.mkdirSync(path.join(run, 'a/new-folder'));
    fs.writeFileSync(path.join(run, 'a/new-folder/inside.dat'), 'x');
    const opened = openRunAt(run);
    const contents = deleteDirectoryContents(surveyedContents(opened.run.fd, survey));
    expect(contents.left).toEqual([{ path: 'a/new-folder', code: 'appeared_after_check' }]);
    expect(fs.readFileSync(path.join(run, 'a/new-folder/inside.dat'), 'utf8')).toBe('x');
    const shell = removeSurveyedShell(opened.at, survey.directories.map((d) => d.relativePath), contents.directoriesWithLeft);
    opened.close();
    expect(shell.leftCount).toBe(0);
    expect(fs.existsSync(path.join(run, '.exlab-wizard/ingest.json'))).toBe(true);
  });

  itAsRoot('counts a settled folder without the bytes of a file it could not delete', async () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/free.dat': '12', 'a/stuck.dat': '12345' } });
    const survey = measureAt(run);
    const opened = openRunAt(run);
    const share = survey.directories.filter((d) => d.relativePath === 'a');
    const outcome = await withImmutable([path.join(run, 'a/stuck.dat')], () =>
      deleteDirectoryContents(surveyedContents(opened.run.fd, survey, undefined, share)),
    );
    opened.close();
    expect(outcome).toMatchObject({ files: 1, bytes: 2, left: [{ path: 'a/stuck.dat', code: 'EPERM' }], directoriesWithLeft: ['a'] });
  });

  it('never touches the sibling runs', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1');
    const sibling = makeRun(base, 'EQ/P/Runs/Run_2');
    const before = listTree(sibling);
    deleteTree(run);
    expect(listTree(sibling)).toEqual(before);
  });

  itAsRoot('undoes chattr even when the work throws', async () => {
    const file = path.join(base, 'x');
    fs.writeFileSync(file, 'x');
    await expect(withImmutable([file], () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    fs.rmSync(file);
    expect(fs.existsSync(file)).toBe(false);
    setImmutable(base, false);
  });

  it('judges every entry again when deleting: a file added after the survey, its folder\'s mtime put back, is kept', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/one.dat': '1', 'b/two.dat': '2' } });
    const rules = { manifestPath: '.exlab-wizard/checksums.sha256', verifiedAtMs: null, toleranceMs: 0, seenVerifiedAtMs: null };
    const survey = measureAt(run, { rules });
    const { mtime } = fs.statSync(path.join(run, 'a'));
    fs.writeFileSync(path.join(run, 'a/late.dat'), 'late');
    fs.utimesSync(path.join(run, 'a'), mtime, mtime);
    const opened = openRunAt(run);
    const contents = deleteDirectoryContents(surveyedContents(opened.run.fd, survey, rules));
    opened.close();
    expect(contents.left).toEqual([{ path: 'a/late.dat', code: 'not_in_manifest' }]);
    expect(fs.readFileSync(path.join(run, 'a/late.dat'), 'utf8')).toBe('late');
  });

  it('keeps the manifest until the end, so a share that judges late still has it', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/one.dat': '1' } });
    const rules = { manifestPath: '.exlab-wizard/checksums.sha256', verifiedAtMs: null, toleranceMs: 0, seenVerifiedAtMs: null };
    const survey = measureAt(run, { rules });
    fs.writeFileSync(path.join(run, 'a/late.dat'), 'late');
    const opened = openRunAt(run);
    const share = (name: string) => survey.directories.filter((d) => d.relativePath === name);
    const meta = deleteDirectoryContents(surveyedContents(opened.run.fd, survey, rules, share('.exlab-wizard')));
    expect(meta.leftCount).toBe(0);
    expect(fs.existsSync(path.join(run, '.exlab-wizard/checksums.sha256'))).toBe(true);
    const late = deleteDirectoryContents(surveyedContents(opened.run.fd, survey, rules, share('a')));
    opened.close();
    expect(late.left).toEqual([{ path: 'a/late.dat', code: 'not_in_manifest' }]);
  });

  it('keeps a file rewritten in place after the survey (modified after verification)', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/one.dat': '1', 'a/two.dat': '2' } });
    const rules = { manifestPath: '.exlab-wizard/checksums.sha256', verifiedAtMs: Date.parse('2026-04-17T16:18:43Z'), toleranceMs: 0, seenVerifiedAtMs: null };
    const survey = measureAt(run, { rules });
    expect(survey.unsynced?.count).toBe(0);
    fs.writeFileSync(path.join(run, 'a/two.dat'), 'rewritten');
    const opened = openRunAt(run);
    const contents = deleteDirectoryContents(surveyedContents(opened.run.fd, survey, rules));
    opened.close();
    expect(contents.left).toEqual([{ path: 'a/two.dat', code: 'modified_after_verification' }]);
    expect(fs.readFileSync(path.join(run, 'a/two.dat'), 'utf8')).toBe('rewritten');
  });

  it('keeps a file rewritten in place in a folder otherwise unchanged since the survey (time test again)', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/one.dat': '1', 'a/two.dat': '2' } });
    const rules = { manifestPath: '.exlab-wizard/checksums.sha256', verifiedAtMs: Date.parse('2026-04-17T16:18:43Z'), toleranceMs: 0, seenVerifiedAtMs: null };
    // A survey begun past the two seconds in which a folder counts as still
    // changing (its start is what the folder's stamps are judged against).
    const measured = measureAt(run, { rules });
    const survey = { ...measured, startedAtMs: measured.startedAtMs + 2100 };
    const folder = fs.statSync(path.join(run, 'a'));
    fs.writeFileSync(path.join(run, 'a/two.dat'), 'rewritten');
    expect(fs.statSync(path.join(run, 'a')).ctimeMs).toBe(folder.ctimeMs);
    const opened = openRunAt(run);
    const contents = deleteDirectoryContents(surveyedContents(opened.run.fd, survey, rules));
    opened.close();
    expect(contents.left).toEqual([{ path: 'a/two.dat', code: 'modified_after_verification' }]);
    expect(fs.existsSync(path.join(run, 'a/one.dat'))).toBe(false);
  });

  it('keeps ingest.json and the manifest while anything the survey never listed is still in the run', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/one.dat': '1' } });
    const rules = { manifestPath: '.exlab-wizard/checksums.sha256', verifiedAtMs: null, toleranceMs: 0, seenVerifiedAtMs: null };
    const survey = measureAt(run, { rules });
    const opened = openRunAt(run);
    const contents = deleteDirectoryContents(surveyedContents(opened.run.fd, survey, rules));
    fs.mkdirSync(path.join(run, 'made-later'));
    const shell = removeSurveyedShell(opened.at, survey.directories.map((d) => d.relativePath), contents.directoriesWithLeft, rules.manifestPath);
    opened.close();
    expect(shell.left).toEqual([{ path: 'made-later', code: 'appeared_after_check' }]);
    expect(fs.existsSync(path.join(run, '.exlab-wizard/ingest.json'))).toBe(true);
    expect(fs.existsSync(path.join(run, '.exlab-wizard/checksums.sha256'))).toBe(true);
  });

  it('removes the manifest and ingest.json last, and only once nothing else is left', () => {
    const run = makeRun(base, 'EQ/P/Runs/Run_1', { files: { 'a/one.dat': '1' } });
    const rules = { manifestPath: '.exlab-wizard/checksums.sha256', verifiedAtMs: null, toleranceMs: 0, seenVerifiedAtMs: null };
    const expected = treeTotals(run);
    expect(deleteTree(run, { rules })).toMatchObject({ files: expected.files, bytes: expected.bytes, leftCount: 0 });
    expect(fs.existsSync(run)).toBe(false);
  });
});
