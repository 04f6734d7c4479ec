// Run locks as other processes leave them: a lock folder with the holder
// record a service writes, for holders that are gone or on other hosts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { lockPathOf } from '../../src/storage/runLock.ts';
import type { LockHolder } from '../../src/storage/runLockHolder.ts';

// The pid of a process that has just ended (and is not reused this soon).
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

export function plantLock(runDir: string, holder: Partial<LockHolder> & { host: string }, ageMs = 0): string {
  const lockDir = lockPathOf(runDir);
  fs.mkdirSync(lockDir);
  const record: LockHolder = { pid: deadPid(), start_id: 'boot:1', acquired_at: new Date(Date.now() - ageMs).toISOString(), ...holder };
  fs.writeFileSync(path.join(lockDir, 'holder.json'), JSON.stringify(record));
  const stamp = new Date(Date.now() - ageMs);
  fs.utimesSync(lockDir, stamp, stamp);
  return lockDir;
}
