// Who holds a run lock. A lock folder says only that someone holds it and
// when they last refreshed it; a holder that was killed is known to be gone
// only after the stale time. So the folder also records its holder
// (holder.json: host label, pid, process start id, when taken), written as
// the folder is made (runLockFolder.ts), and a lock of this host whose
// process is gone can be taken over at once.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';

const holderSchema = z.object({
  host: z.string().min(1),
  pid: z.int().positive(),
  // Tells the process that took the lock from a later one given the same pid.
  start_id: z.string().min(1),
  acquired_at: z.iso.datetime(),
});

export type LockHolder = z.infer<typeof holderSchema>;

// The boot id and the start time of /proc/<pid>/stat (field 22, clock ticks
// since boot): unique to one process for the machine's uptime and beyond.
export function processStartId(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from after it.
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return startTime ? `${bootId}:${startTime}` : null;
  } catch {
    return null;
  }
}

// Without /proc, a random id per start: still tells a new process that got
// this one's pid (after a container restart, often pid 1 again) from it.
const OWN_START_ID = processStartId(process.pid) ?? `random:${randomUUID()}`;

export function thisProcessAs(host: string, now: Date): LockHolder {
  return { host, pid: process.pid, start_id: OWN_START_ID, acquired_at: now.toISOString() };
}

export function isThisProcess(holder: LockHolder): boolean {
  return holder.pid === process.pid && holder.start_id === OWN_START_ID;
}

// Whether the holder's process no longer exists, or its pid now belongs to
// another process. Only meaningful for a holder of this host: pids of other
// hosts cannot be seen from here. When in doubt, the holder is alive.
export function holderProcessGone(holder: LockHolder): boolean {
  if (holder.pid === process.pid) return holder.start_id !== OWN_START_ID;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const current = processStartId(holder.pid);
  return current !== null && current !== holder.start_id;
}

export function sameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.host === b.host && a.pid === b.pid && a.start_id === b.start_id;
}

// The holder a holder.json holds, or null for one that is torn or not a holder.
export function parseHolder(text: string): LockHolder | null {
  try {
    return holderSchema.parse(JSON.parse(text));
  } catch {
    return null;
  }
}
