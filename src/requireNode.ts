// Refuses to start, in one line naming both versions, on a Node older than
// package.json's `engines` asks for. Imported first by main.ts, so that it
// runs before any other module of the service is evaluated: an old node
// named by a unit's ExecStart= says so rather than failing somewhere later.
// (Only what Node 18 can run is used here.)
import fs from 'node:fs';

// `engines.node` is written as ">=MAJOR.MINOR[.PATCH]".
const RANGE = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/;

const parts = (version: string): number[] => version.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10) || 0);

// Why `version` does not satisfy `range`, or null.
export function nodeVersionProblem(range: string, version: string): string | null {
  const wanted = RANGE.exec(range.trim());
  if (!wanted) return `package.json's engines.node (${range}) is not of the form >=MAJOR.MINOR.PATCH`;
  const need = wanted.slice(1).map((part) => Number(part ?? 0));
  const have = parts(version);
  for (let index = 0; index < 3; index += 1) {
    const [a = 0, b = 0] = [have[index], need[index]];
    if (a !== b) return a > b ? null : `needs Node ${range.trim()} (package.json engines), and this is Node ${version.replace(/^v/, '')}: install a newer Node, or point ExecStart= at it`;
  }
  return null;
}

const manifest = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines?: { node?: string } };
const problem = nodeVersionProblem(manifest.engines?.node ?? '>=0', process.versions.node);
if (problem) {
  console.error(`staging-cleanup: ${problem}`);
  process.exit(2);
}
