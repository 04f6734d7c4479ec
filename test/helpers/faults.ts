// Real faults for tests, always undone: an undeletable file (chattr +i).
import { execFileSync } from 'node:child_process';

export function setImmutable(path: string, on: boolean): void {
  execFileSync('chattr', [on ? '+i' : '-i', path]);
}

export async function withImmutable<T>(paths: string[], work: () => Promise<T> | T): Promise<T> {
  for (const path of paths) setImmutable(path, true);
  try {
    return await work();
  } finally {
    for (const path of paths) setImmutable(path, false);
  }
}
