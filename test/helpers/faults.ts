// Real faults for tests, always undone: an undeletable file or folder (chattr +i), one that takes no removal (chattr +a).
import { execFileSync } from 'node:child_process';

export function setImmutable(path: string, on: boolean): void {
  execFileSync('chattr', [on ? '+i' : '-i', path]);
}

// Runs `work` with an inode attribute set on `paths`: i (immutable) or a (append-only).
async function withAttribute<T>(attribute: 'i' | 'a', paths: string[], work: () => Promise<T> | T): Promise<T> {
  for (const path of paths) execFileSync('chattr', [`+${attribute}`, path]);
  try {
    return await work();
  } finally {
    for (const path of paths) execFileSync('chattr', [`-${attribute}`, path]);
  }
}

export const withImmutable = <T>(paths: string[], work: () => Promise<T> | T): Promise<T> => withAttribute('i', paths, work);
export const withAppendOnly = <T>(paths: string[], work: () => Promise<T> | T): Promise<T> => withAttribute('a', paths, work);
