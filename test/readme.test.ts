import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, REAL_CLOCK } from './helpers/appHarness.ts';
import { writeDemoTree } from './helpers/demoTree.ts';
import { startService } from './helpers/serviceProcess.ts';
import { makeTempDir } from './helpers/stagingTree.ts';

const repo = path.join(import.meta.dirname, '..');
const README_URL = 'http://127.0.0.1:8080';

// The README's walk-through: each curl command with the text its answer must contain.
function walkthrough(): Array<{ command: string; expected: string }> {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const block = readme.match(/```sh walkthrough\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README has no walkthrough block');
  const lines = block.split('\n');
  return lines.flatMap((line, index) =>
    line.startsWith('curl ') ? [{ command: line, expected: (lines[index + 1] ?? '').replace(/^# -> /, '') }] : [],
  );
}

// Every file the README's Layout section names, as written there: a path
// from the repository's root or from src/, or a bare file name.
function layoutFiles(): string[] {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const layout = readme.split('\n## Layout\n')[1]?.split('\n## ')[0];
  if (!layout) throw new Error('README has no Layout section');
  return [...new Set(layout.match(/[\w./-]+\.(?:ts|mjs|c|json|md|yml|css|html)\b/g) ?? [])];
}

// Where a named file is: tried as written, under src/, then by its name anywhere in the code.
function locate(name: string, everyFile: readonly string[]): string | undefined {
  return [name, `src/${name}`].find((candidate) => fs.existsSync(path.join(repo, candidate))) ??
    (name.includes('/') ? undefined : everyFile.find((file) => path.basename(file) === name));
}

// The run that "The staging tree it reads" writes by hand, and its run path.
function handWrittenRun(): { script: string; runPath: string } {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const section = readme.split('\n## The staging tree it reads\n')[1]?.split('\n## ')[0];
  const script = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
  const runPath = script?.match(/\brun=(\S+)/)?.[1];
  if (!script || !runPath) throw new Error('README has no run written by hand under "The staging tree it reads"');
  return { script, runPath };
}

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the README', () => {
  it('Layout names only files that exist', () => {
    const everyFile = ['src', 'test', 'panel', 'bench', 'native', 'ops'].flatMap((top) =>
      fs.readdirSync(path.join(repo, top), { recursive: true, encoding: 'utf8' }).map((file) => path.join(top, file)),
    );
    // ingest.json is a staged run's record, not a file of the repository.
    const named = layoutFiles().filter((name) => name !== 'ingest.json');
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((name) => locate(name, everyFile) === undefined)).toEqual([]);
  });

  it('the run written by hand in "The staging tree it reads" is listed clearable and clears', async () => {
    const h = await createAppHarness({ clock: REAL_CLOCK });
    const { script, runPath } = handWrittenRun();
    execFileSync('sh', ['-ec', `umask 022\n${script.replaceAll('/srv/exlab/staging', h.root)}`]);
    const listing = await h.http().get('/api/v1/staging').expect(200);
    expect(listing.body).toMatchObject({ runs: [{ run_path: runPath, clearable: true, ingest_mismatch: [], file_count: 1 }], problems: [] });
    const clear = await h.http().post(`/api/v1/staging/${runPath}/clear`).expect(200);
    expect(clear.body).toMatchObject({ outcome: 'cleared', files_freed: 3 });
    expect(fs.existsSync(path.join(h.root, runPath))).toBe(false);
  });

  it('walk-through works verbatim on the demo tree', async () => {
    dir = makeTempDir();
    writeDemoTree(path.join(dir, 'staging'));
    const service = startService({}, dir);
    const url = await service.listening;
    try {
      const steps = walkthrough();
      expect(steps.length).toBeGreaterThanOrEqual(5);
      for (const { command, expected } of steps) {
        const output = execFileSync('sh', ['-c', command.replaceAll(README_URL, url)], { encoding: 'utf8' });
        expect(() => JSON.parse(output), command).not.toThrow();
        expect(output, command).toContain(expected);
      }
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
});
