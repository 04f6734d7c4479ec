// The demo tree of `npm run demo` (scripts/demo.ts), written into a folder:
// sample runs in every state, as a newcomer first sees them.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const repo = path.join(import.meta.dirname, '..', '..');

export function writeDemoTree(stagingDir: string): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', stagingDir], { cwd: repo, stdio: 'ignore' });
}
