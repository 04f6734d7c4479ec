// A small tmpfs mounted for a test (a full disk, a volume that goes away,
// another filesystem inside the staging tree), or a folder bound elsewhere
// (mount --bind), always unmounted afterwards. Needs root, as on these
// machines and in CI.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './stagingTree.ts';

export function mountTmpfs(dir: string, size: string): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
}

export function bindMount(from: string, at: string): void {
  execFileSync('mount', ['--bind', from, at]);
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

// A fresh tmpfs in a temporary folder, for a service to be started on as its
// staging root (mounted first: the root a service pins is the one it starts on).
export async function withTmpfsVolume<T>(size: string, work: (volume: string) => Promise<T>): Promise<T> {
  const base = makeTempDir();
  const volume = path.join(base, 'volume');
  try {
    return await withTmpfs(volume, size, () => work(volume));
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
