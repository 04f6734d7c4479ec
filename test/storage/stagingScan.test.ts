import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRunLeaves } from '../../src/storage/stagingScan.ts';
import { makeRun, makeTempDir } from '../helpers/stagingTree.ts';

let root: string;
beforeEach(() => {
  root = makeTempDir();
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('listRunLeaves', () => {
  it('finds runs under Runs/, test runs under TestRuns/ and legacy runs under the project', async () => {
    makeRun(root, 'EQ/P/Runs/Run_1');
    makeRun(root, 'EQ/P/TestRuns/TestRun_1');
    makeRun(root, 'EQ/P/Run_legacy');
    makeRun(root, 'EQ2/Q/Runs/Run_2');
    const leaves = await listRunLeaves(root);
    expect(leaves.map((leaf) => [leaf.runPath, leaf.layout]).sort()).toEqual([
      ['EQ/P/Run_legacy', 'legacy'],
      ['EQ/P/Runs/Run_1', 'runs'],
      ['EQ/P/TestRuns/TestRun_1', 'test_runs'],
      ['EQ2/Q/Runs/Run_2', 'runs'],
    ]);
  });

  it('lists leaves without ingest.json too (the service decides what they are)', async () => {
    fs.mkdirSync(path.join(root, 'EQ/P/Runs/Run_empty'), { recursive: true });
    expect((await listRunLeaves(root)).map((leaf) => leaf.runPath)).toEqual(['EQ/P/Runs/Run_empty']);
  });

  it('ignores hidden names, wrong names, files and symlinked leaves or folders', async () => {
    const outside = makeTempDir();
    try {
      makeRun(outside, 'X/Y/Runs/Run_out');
      makeRun(root, '.hidden/P/Runs/Run_1');
      makeRun(root, 'EQ/.hidden/Runs/Run_1');
      makeRun(root, 'EQ/P/Runs/.Run_1');
      makeRun(root, 'EQ/P/Runs/Scan_1');
      makeRun(root, 'EQ/P/TestRuns/Run_1');
      fs.writeFileSync(path.join(root, 'EQ/P/Runs/Run_file'), 'not a dir');
      fs.symlinkSync(path.join(outside, 'X/Y/Runs/Run_out'), path.join(root, 'EQ/P/Runs/Run_link'));
      fs.symlinkSync(path.join(outside, 'X'), path.join(root, 'LINKED_EQ'));
      expect(await listRunLeaves(root)).toEqual([]);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a staging root that cannot be read with staging_root_unavailable', async () => {
    await expect(listRunLeaves(path.join(root, 'missing'))).rejects.toMatchObject({
      code: 'staging_root_unavailable',
    });
  });
});
