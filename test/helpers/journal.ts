// Every record in a journal folder, as JSON, file by file (the clears.*
// files: the folder also keeps volume samples).
import fs from 'node:fs';
import path from 'node:path';

export function readJournal(dir: string): Array<Record<string, unknown>> {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('clears.'))
    .flatMap((name) => fs.readFileSync(path.join(dir, name), 'utf8').split('\n'))
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
