// Who holds a run lock. proper-lockfile's lock folder says only that someone
// does and when they last refreshed it; a holder that was killed is known to
// be gone only after the stale time. So the folder also records its holder
// (holder.json: host label, pid, process start id, when taken), written as
// the folder is made, and a lock of this host whose process is gone can be
// taken over at once.
//
// Lock paths are byte strings (one character per byte, as the run's names on
// disk, which need not be UTF-8), handed to the file system as those bytes.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const holderSchema = z.object({
  host: z.string().min(1),
  pid: z.int().positive(),
  // Tells the process that took the lock from a later one given the same pid.
  start_id: z.string().min(1),
  acquired_at: z.iso.datetime(),
});

export type LockHolder = z.infer<typeof holderSchema>;

// A byte-string path as the file system takes it.
export function onDisk(bytePath: string): Buffer {
  return Buffer.from(bytePath, 'latin1');
}

const HOLDER_FILE = 'holder.json';
const HOLDER_TEMP = 'holder.json.tmp';

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

// The holder a lock folder records; null when it records none (a lock being
// made, one from an older version, or a torn file) or is not a real folder.
export async function readHolder(lockDir: string): Promise<LockHolder | null> {
  try {
    if (!(await fsp.lstat(onDisk(lockDir))).isDirectory()) return null;
    const handle = await fsp.open(onDisk(path.join(lockDir, HOLDER_FILE)), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      return holderSchema.parse(JSON.parse(await handle.readFile('utf8')));
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

// Written whole (temp file, fsync, rename) so that a reader never sees half
// a holder, and synced so that one survives a power cut.
async function writeHolder(lockDir: string, holder: LockHolder): Promise<void> {
  const temp = path.join(lockDir, HOLDER_TEMP);
  const handle = await fsp.open(onDisk(temp), 'wx');
  try {
    await handle.writeFile(JSON.stringify(holder));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(onDisk(temp), onDisk(path.join(lockDir, HOLDER_FILE)));
}

// Removes a lock folder and the holder files in it, nothing else: a folder
// holding anything more is not removed (rmdir fails), and a link is never
// followed.
export async function removeLockFolder(lockDir: string): Promise<void> {
  if (!(await fsp.lstat(onDisk(lockDir))).isDirectory()) throw Object.assign(new Error(`${lockDir} is not a folder`), { code: 'ENOTDIR' });
  for (const name of [HOLDER_FILE, HOLDER_TEMP]) {
    await fsp.unlink(onDisk(path.join(lockDir, name))).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  await fsp.rmdir(onDisk(lockDir));
}

function removeLockFolderSync(lockDir: string): void {
  if (!fs.lstatSync(onDisk(lockDir)).isDirectory()) return;
  for (const name of [HOLDER_FILE, HOLDER_TEMP]) fs.rmSync(onDisk(path.join(lockDir, name)), { force: true });
  fs.rmdirSync(onDisk(lockDir));
}

type Done = (error: NodeJS.ErrnoException | null) => void;

// The file system proper-lockfile works through (its `fs` option): the same
// mkdir/mtime protocol, but the folder gets its holder before the lock counts
// as taken (and before proper-lockfile stamps its mtime), and removing a lock
// removes its holder first.
export function lockFolderFs(holderNow: () => LockHolder) {
  return {
    stat: (lockDir: string, done: (error: NodeJS.ErrnoException | null, stat: fs.Stats) => void): void =>
      fs.stat(onDisk(lockDir), done),
    utimes: (lockDir: string, atime: Date, mtime: Date, done: Done): void => fs.utimes(onDisk(lockDir), atime, mtime, done),
    mkdir(lockDir: string, done: Done): void {
      fs.mkdir(onDisk(lockDir), (error) => {
        if (error) return done(error);
        // A holder that cannot be written (a full disk) still leaves a lock:
        // one that goes stale by time only, as locks of other hosts do. A
        // resumed clear on a full disk is what frees its space.
        writeHolder(lockDir, holderNow()).then(
          () => done(null),
          () => {
            void fsp
              .rm(onDisk(path.join(lockDir, HOLDER_TEMP)), { force: true })
              .catch(() => undefined)
              .then(() => done(null));
          },
        );
      });
    },
    rmdir(lockDir: string, done: Done): void {
      removeLockFolder(lockDir).then(() => done(null), done);
    },
    // proper-lockfile's release of held locks at process exit.
    rmdirSync: removeLockFolderSync,
  };
}
