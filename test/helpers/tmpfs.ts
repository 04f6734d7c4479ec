// A small tmpfs mounted for a test (a full disk, a volume that goes away),
// always unmounted afterwards. Needs root, as on these machines and in CI.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export function mountTmpfs(dir: string, size: string): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
}

export function unmount(dir: string): void {
  execFileSync('umount', ['-l', dir]);
}

export function isMounted(dir: string): boolean {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === dir);
}

export async function withTmpfs<T>(dir: string, size: string, work: () => Promise<T>): Promise<T> {
  mountTmpfs(dir, size);
  try {
    return await work();
  } finally {
    if (isMounted(dir)) unmount(dir);
  }
}
