// Builds the service once before the suite: process tests run the built
// entry point (node dist/main.js), as production does.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: path.join(import.meta.dirname, '..'), stdio: 'inherit' });
}
