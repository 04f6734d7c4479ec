import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.join(import.meta.dirname, '..');

async function npmScript(script: string): Promise<{ ok: boolean; output: string }> {
  return run('npm', ['run', '-s', script], { cwd: repo, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }),
    (error: { stdout: string; stderr: string }) => ({ ok: false, output: error.stdout + error.stderr }),
  );
}

describe('the code', () => {
  it('type-checks under strict TypeScript (npm run typecheck)', async () => {
    const result = await npmScript('typecheck');
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  }, 120_000);

  it('is lint-clean (npm run lint)', async () => {
    const result = await npmScript('lint');
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  }, 120_000);
});
