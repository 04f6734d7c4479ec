// The built service where another user can run it. A checkout under a folder
// only its owner may enter (a clone in a `mktemp -d` folder, a home folder)
// cannot be loaded by the user a test runs the service as: what the service
// loads (dist/, package.json, the native addon, the production dependencies)
// is then copied into `into`, a folder that user can read.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MAIN } from './serviceProcess.ts';

const repo = path.join(path.dirname(MAIN), '..');
const LOADED = ['dist', 'package.json', 'build/Release/at.node'];

// `asUser` runs a command as that user (e.g. setpriv ... --, which starts
// the program before it drops root's powers: node itself may sit anywhere).
// The entry point is tried the way the service is then started.
export function serviceMainFor(asUser: string[], into: string): string {
  const [command = 'env', ...args] = asUser;
  const check = `require('node:fs').accessSync(${JSON.stringify(MAIN)}, 4)`;
  const readable = spawnSync(command, [...args, process.execPath, '-e', check]).status === 0;
  return readable ? MAIN : path.join(copiedService(into), path.relative(repo, MAIN));
}

function copied(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, preserveTimestamps: true });
}

function copiedService(into: string): string {
  const copy = path.join(into, 'service');
  for (const name of LOADED) copied(path.join(repo, name), path.join(copy, name));
  for (const dependency of productionDependencies()) copied(dependency, path.join(copy, path.relative(repo, dependency)));
  return copy;
}

// The folders of the production dependencies, outermost only (a nested one
// is copied with the package holding it).
function productionDependencies(): string[] {
  const listed = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repo, encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith(path.join(repo, 'node_modules') + path.sep))
    .sort();
  return listed.filter((folder, index) => !listed.slice(0, index).some((outer) => folder.startsWith(outer + path.sep)));
}
