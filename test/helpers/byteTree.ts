// A snapshot of a hostile tree, independent of the service's own code: names
// as bytes (latin1 strings), any depth (each folder opened from its parent's
// descriptor), FIFOs and huge files never read (type, size and mtime only).
import { createHash } from 'node:crypto';
import fs from 'node:fs';

const READ_AT_MOST = 1024 * 1024;
const DIRECTORY = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW;

export function snapshotBytes(dir: string): Record<string, string> {
  const snapshot: Record<string, string> = {};
  if (!fs.existsSync(dir)) return snapshot;
  const visit = (fd: number, prefix: string): void => {
    for (const entry of fs.readdirSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' })) {
      const name = entry.toString('latin1');
      const full = Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), entry]);
      const stat = fs.lstatSync(full);
      const relative = `${prefix}${name}`;
      if (stat.isDirectory()) {
        snapshot[relative] = 'dir';
        const child = fs.openSync(full, DIRECTORY);
        try {
          visit(child, `${relative}/`);
        } finally {
          fs.closeSync(child);
        }
      } else if (stat.isFile() && stat.size <= READ_AT_MOST) {
        snapshot[relative] = `file:${stat.mtimeMs}:${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`;
      } else {
        snapshot[relative] = `${stat.isFile() ? 'big' : 'special'}:${stat.mode}:${stat.size}:${stat.mtimeMs}`;
      }
    }
  };
  const root = fs.openSync(dir, DIRECTORY);
  try {
    visit(root, '');
  } finally {
    fs.closeSync(root);
  }
  return snapshot;
}
