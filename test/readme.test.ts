import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the README', () => {
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
