import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStagingRootGuard } from '../../src/storage/stagingRootGuard.ts';
import { describeFolderProblem, scanStagingTree as scanGuarded } from '../../src/storage/stagingScan.ts';
import { makeRun, makeTempDir } from '../helpers/stagingTree.ts';

const scanStagingTree = (stagingRoot: string) => scanGuarded(createStagingRootGuard(stagingRoot));

let root: string;
beforeEach(() => {
  root = makeTempDir();
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const leavesOf = async (): Promise<string[]> => (await scanStagingTree(root)).leaves.map((leaf) => leaf.runPath);
const problemsOf = async () => (await scanStagingTree(root)).problems.map((problem) => describeFolderProblem(problem, root));

describe('scanStagingTree', () => {
  it('finds runs under Runs/, test runs under TestRuns/ and legacy runs under the project', async () => {
    makeRun(root, 'EQ/P/Runs/Run_1');
    makeRun(root, 'EQ/P/TestRuns/TestRun_1');
    makeRun(root, 'EQ/P/Run_legacy');
    makeRun(root, 'EQ2/Q/Runs/Run_2');
    const { leaves, problems } = await scanStagingTree(root);
    expect(leaves.map((leaf) => [leaf.runPath, leaf.layout]).sort()).toEqual([
      ['EQ/P/Run_legacy', 'legacy'],
      ['EQ/P/Runs/Run_1', 'runs'],
      ['EQ/P/TestRuns/TestRun_1', 'test_runs'],
      ['EQ2/Q/Runs/Run_2', 'runs'],
    ]);
    expect(problems).toEqual([]);
  });

  it('lists leaves without ingest.json too (the service decides what they are)', async () => {
    fs.mkdirSync(path.join(root, 'EQ/P/Runs/Run_empty'), { recursive: true });
    expect(await leavesOf()).toEqual(['EQ/P/Runs/Run_empty']);
  });

  it("ignores hidden names (the service's own lock folders too) and folders of other names", async () => {
    makeRun(root, '.hidden/P/Runs/Run_1');
    makeRun(root, 'EQ/.hidden/Runs/Run_1');
    makeRun(root, 'EQ/P/Runs/.Run_1');
    makeRun(root, 'EQ/P/Runs/Scan_1');
    makeRun(root, 'EQ/P/TestRuns/Run_1');
    fs.mkdirSync(path.join(root, 'EQ/P/Runs/.Run_2.staging-cleanup.lock'));
    fs.writeFileSync(path.join(root, '.notes.txt'), 'hidden');
    fs.writeFileSync(path.join(root, 'EQ/P/Runs/.Run_file'), 'hidden');
    expect(await scanStagingTree(root)).toEqual({ leaves: [], problems: [] });
  });

  it('names every regular file where only folders belong (root, equipment, project, Runs/, TestRuns/) as not_a_folder', async () => {
    makeRun(root, 'EQ/P/Runs/Run_1');
    fs.mkdirSync(path.join(root, 'EQ/P/TestRuns'));
    for (const file of ['notes.txt', 'EQ/readme', 'EQ/P/notes.txt', 'EQ/P/Runs/Run_file', 'EQ/P/TestRuns/list.csv']) {
      fs.writeFileSync(path.join(root, file), 'not a folder');
    }
    expect(await leavesOf()).toEqual(['EQ/P/Runs/Run_1']);
    const problems = await problemsOf();
    expect(problems.map((problem) => [problem.run_path, problem.code, problem.entry_type]).sort()).toEqual([
      ['EQ/P/Runs/Run_file', 'not_a_folder', 'file'],
      ['EQ/P/TestRuns/list.csv', 'not_a_folder', 'file'],
      ['EQ/P/notes.txt', 'not_a_folder', 'file'],
      ['EQ/readme', 'not_a_folder', 'file'],
      ['notes.txt', 'not_a_folder', 'file'],
    ]);
    expect(problems.find((problem) => problem.run_path === 'EQ/P/notes.txt')).toMatchObject({
      path: path.join(root, 'EQ/P/notes.txt'),
      message: expect.stringContaining('is a regular file, not a folder'),
    });
  });

  it('never follows a link, and names each link standing for an equipment, project, Runs/ or run folder as a problem', async () => {
    const outside = makeTempDir();
    try {
      makeRun(outside, 'X/Y/Runs/Run_out');
      makeRun(root, 'EQ/P/Runs/Run_1');
      fs.symlinkSync(path.join(outside, 'X/Y/Runs/Run_out'), path.join(root, 'EQ/P/Runs/Run_link'));
      fs.symlinkSync(path.join(outside, 'X'), path.join(root, 'LINKED_EQ'));
      fs.symlinkSync(path.join(outside, 'X/Y'), path.join(root, 'EQ/LINKED_P'));
      fs.symlinkSync(path.join(outside, 'X/Y/Runs'), path.join(root, 'EQ/P/TestRuns'));
      // Not where a run or a folder the walk enters would be: not a problem.
      fs.symlinkSync(path.join(outside, 'X'), path.join(root, 'EQ/P/Runs/notes'));
      fs.symlinkSync(path.join(outside, 'X'), path.join(root, 'EQ/P/.hidden'));
      expect(await leavesOf()).toEqual(['EQ/P/Runs/Run_1']);
      const problems = await problemsOf();
      expect(problems.map((problem) => [problem.run_path, problem.code]).sort()).toEqual([
        ['EQ/LINKED_P', 'folder_link'],
        ['EQ/P/Runs/Run_link', 'folder_link'],
        ['EQ/P/TestRuns', 'folder_link'],
        ['LINKED_EQ', 'folder_link'],
      ]);
      expect(problems.find((problem) => problem.run_path === 'LINKED_EQ')).toMatchObject({
        path: path.join(root, 'LINKED_EQ'),
        message: expect.stringContaining('symbolic link'),
      });
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('lists folders whose names are not UTF-8 in their escaped form, each byte kept', async () => {
    const equipment = Buffer.from('CONFOCAL_\xe9', 'latin1');
    fs.mkdirSync(Buffer.concat([Buffer.from(`${root}/`), equipment]));
    makeRun(root, 'EQ/P/Runs/Run_1');
    fs.mkdirSync(Buffer.concat([Buffer.from(`${root}/`), equipment, Buffer.from('/P/Runs/Run_\xff\\1', 'latin1')]), { recursive: true });
    const { leaves } = await scanStagingTree(root);
    const escaped = leaves.find((leaf) => leaf.escaped);
    expect(escaped).toMatchObject({
      runPath: 'CONFOCAL_\\xe9/P/Runs/Run_\\xff\\\\1',
      segments: ['CONFOCAL_\xe9', 'P', 'Runs', 'Run_\xff\\1'],
    });
    expect(leaves).toHaveLength(2);
  });

  it('refuses a staging root that cannot be read with staging_root_unavailable', async () => {
    await expect(scanStagingTree(path.join(root, 'missing'))).rejects.toMatchObject({
      code: 'staging_root_unavailable',
    });
  });
});
