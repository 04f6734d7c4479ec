// Every README command that writes a secret (a token file, an environment
// file with a token) creates it readable by its owner only from the start:
// run alone under umask 022, with no chmod after it, the file is mode 600.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { makeTempDir } from './helpers/stagingTree.ts';

const README = fs.readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');
const SECRET_FILE = /(?:cat|echo|printf)\b.*>\s*(\S*(?:\.env|\.token))\b/;

// Each command of a ```sh block that writes a secret file, with its here-document.
function secretWrites(): Array<{ command: string; file: string }> {
  const lines = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) => block[1]!.split('\n'));
  return lines.flatMap((line, index) => {
    const file = line.match(SECRET_FILE)?.[1];
    if (!file) return [];
    const delimiter = line.match(/<<(\w+)/)?.[1];
    const end = delimiter ? lines.indexOf(delimiter, index) : index;
    return [{ command: lines.slice(index, end + 1).join('\n'), file }];
  });
}

it('creates every secret file it writes with mode 600, before any chmod', () => {
  const writes = secretWrites();
  expect(writes.map(({ file }) => path.basename(file)).sort()).toEqual(['.env', 'staging-cleanup.env', 'staging-cleanup.token']);
  const dir = makeTempDir();
  try {
    for (const { command, file } of writes) {
      // /etc/... lands in the temp folder; the staging root is the temp folder itself.
      const local = command.replaceAll('/etc/', `${dir}/etc/`);
      const written = path.join(dir, file);
      fs.mkdirSync(path.dirname(written), { recursive: true });
      execFileSync('sh', ['-c', `umask 022; cd "$DIR"; ${local}`], { env: { ...process.env, DIR: dir, STAGING_ROOT: dir } });
      expect(fs.statSync(written).mode & 0o777, command).toBe(0o600);
      expect(fs.readFileSync(written, 'utf8')).not.toBe('');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
