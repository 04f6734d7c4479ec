// A run lock folder on disk (README "How a clear stays safe"), reached only
// through descriptors: the folder is made with mkdirat on the run's parent
// folder's descriptor (mkdir never follows a final link) and opened at once
// relative to it without following links; everything after (holder record,
// refresh, removal) goes through the folder's own descriptor. A lock folder swapped for a link, or moved away,
// cannot redirect a single write or unlink outside it.
//
// A lock holds only this service's files: holder.json, holder.json.tmp (left
// by a writer that stopped half-way) and `takeover` claims. Anything else
// standing at a lock's name (a file, a link, a FIFO, a folder holding other
// things) is an InvalidLock: the service never removes it, a person does.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { shownText } from '../domain/entryName.ts';
import { DirHandle, errorCode, READ_FLAGS, type EntryStat, type StatedEntry } from './dirHandle.ts';
import { nativeAt } from './nativeAt.ts';
import { parseHolder, type LockHolder } from './runLockHolder.ts';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, S_IFMT, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK } = fs.constants;
const futimes = promisify(fs.futimes);

const HOLDER_FILE = 'holder.json';
const HOLDER_TEMP = 'holder.json.tmp';
// One taker at a time removes a lock: the one whose mkdir of this made it.
const CLAIM = 'takeover';
const HOLDER_MAX_BYTES = 4096;
// Claims left by takers that died mid-way, one inside the other.
const MAX_CLAIM_DEPTH = 8;
// When a lock folder being removed is tried (the first at once), waiting
// for a claim made in its last moment to be given up: about a second in all.
const CLAIM_WAITS_MS = [0, 1, 5, 20, 50, 100, 200, 300, 300];

// Something at a lock's name that is not a lock folder of this service.
export class InvalidLock extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'InvalidLock';
  }
}

export interface LockFolder {
  // The folder, opened without following links.
  dir: DirHandle;
  // Which folder it is: `dev:ino`.
  id: string;
  ino: number;
  // Its last refresh (or its making).
  mtimeMs: number;
  // Null when it records none: being made, torn, or left by an older version.
  holder: LockHolder | null;
  // Whether it holds nothing at all.
  empty: boolean;
}

function kindOf(stat: EntryStat | null): string {
  if (!stat) return 'not a folder';
  // A folder by now: it was something else a moment ago.
  if (stat.isDirectory()) return 'swapped for something else and back while it was opened';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isFile()) return 'a regular file';
  const kinds: Record<number, string> = { [S_IFIFO]: 'a FIFO', [S_IFSOCK]: 'a socket', [S_IFCHR]: 'a device', [S_IFBLK]: 'a device' };
  return kinds[stat.mode & S_IFMT] ?? 'not a folder';
}

// What the entries hold that a lock of this service never does, or null.
function foreignEntry(entries: StatedEntry[]): string | null {
  for (const entry of entries) {
    const { name, stat } = entry;
    if (!stat && !entry.error) continue;
    const ours = name === CLAIM ? stat?.isDirectory() : (name === HOLDER_FILE || name === HOLDER_TEMP) && stat?.isFile();
    if (!ours) return `holds ${shownText(name)}, which a lock of this service never holds`;
  }
  return null;
}

export async function readHolder(dir: DirHandle): Promise<LockHolder | null> {
  try {
    const handle = await fsp.open(dir.pathOf(HOLDER_FILE), READ_FLAGS);
    try {
      const stat = await handle.stat();
      return stat.isFile() && stat.size <= HOLDER_MAX_BYTES ? parseHolder(await handle.readFile('utf8')) : null;
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

// What stands at `name` in `parent`, as InvalidLock, once opening it as a
// folder without following links failed with `code`; other errors as they are.
function notAFolder(parent: DirHandle, name: string, error: unknown): unknown {
  const code = errorCode(error);
  if (code === 'EXDEV') return new InvalidLock('is a mount point');
  if (code === 'ELOOP' || code === 'ENOTDIR') return new InvalidLock(`is ${kindOf(parent.lstatOrNull(name))}`);
  return error;
}

// The lock folder at `name` in `parent`, open (close its `dir`), or null when
// nothing is there. Throws InvalidLock for anything else standing there.
export async function openLockFolder(parent: DirHandle, name: string): Promise<LockFolder | null> {
  let dir: DirHandle;
  try {
    dir = parent.openDirectory(name);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw notAFolder(parent, name, error);
  }
  return examine(dir);
}

// A lock folder as it stands: closed (and thrown) unless it is one of ours.
async function examine(dir: DirHandle): Promise<LockFolder> {
  try {
    const entries = dir.statedEntries();
    const foreign = foreignEntry(entries);
    if (foreign) throw new InvalidLock(foreign);
    const stat = dir.stat();
    const holder = entries.some((entry) => entry.name === HOLDER_FILE) ? await readHolder(dir) : null;
    return { dir, id: `${stat.dev}:${stat.ino}`, ino: stat.ino, mtimeMs: stat.mtimeMs, holder, empty: entries.length === 0 };
  } catch (error) {
    dir.close();
    throw error;
  }
}

// Written whole (a temporary file, created afresh, fsync, rename) so that a
// reader never sees half a holder, and synced so that one survives a power
// cut. A holder that cannot be written (a full disk) still leaves a lock: one
// that goes stale by time only, as locks of other hosts do, since a resumed
// clear on a full disk is what frees its space.
async function writeHolder(dir: DirHandle, holder: LockHolder): Promise<void> {
  try {
    const handle = await fsp.open(dir.pathOf(HOLDER_TEMP), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(JSON.stringify(holder));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(dir.pathOf(HOLDER_TEMP), dir.pathOf(HOLDER_FILE));
  } catch {
    unlinkIfThere(dir, HOLDER_TEMP);
  }
}

// Stamps the folder's mtime (its refresh) with this whole second, answered in
// ms: whole seconds read back the same on every filesystem.
export async function stampLockFolder(dir: DirHandle): Promise<number> {
  const seconds = Math.floor(Date.now() / 1000);
  await futimes(dir.fd, seconds, seconds);
  return seconds * 1000;
}

// Makes the lock folder at `name` and records `holder` in it: the open
// folder, or 'exists' when something stands there already, or the folder
// did not stay at its name until its holder was recorded. `heldIds` holds
// the folder's id from before its holder is written for as long as it is
// this process's.
export async function makeLockFolder(
  parent: DirHandle,
  name: string,
  holder: LockHolder,
  heldIds: Set<string>,
): Promise<LockFolder | 'exists'> {
  let dir: DirHandle;
  try {
    dir = new DirHandle(nativeAt.mkdirOpenat(parent.fd, Buffer.from(name, 'latin1')));
  } catch (error) {
    // ENOENT: made, and gone before it was opened.
    if (errorCode(error) === 'EEXIST' || errorCode(error) === 'ENOENT') return 'exists';
    throw notAFolder(parent, name, error);
  }
  const folder = await examine(dir);
  let made: LockFolder | null = null;
  if (folder.empty) {
    heldIds.add(folder.id);
    try {
      await writeHolder(folder.dir, holder);
      const mtimeMs = await stampLockFolder(folder.dir);
      if (parent.lstatOrNull(name)?.ino === folder.ino) made = { ...folder, holder, mtimeMs };
    } finally {
      if (!made) heldIds.delete(folder.id);
    }
  }
  if (!made) folder.dir.close();
  return made ?? 'exists';
}

function unlinkIfThere(dir: DirHandle, name: string): void {
  try {
    dir.unlink(name);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

// The right to remove a lock folder: the chain of claim folders down to the
// one this process made (its last), or null when another taker holds a claim,
// or the folder was removed meanwhile. A claim older than `staleMs` (its taker
// died half-way) is claimed within.
export async function claimLockFolder(folder: LockFolder, staleMs: number): Promise<DirHandle[] | null> {
  const chain: DirHandle[] = [];
  let at = folder.dir;
  try {
    for (let depth = 0; depth < MAX_CLAIM_DEPTH; depth += 1) {
      try {
        chain.push(new DirHandle(nativeAt.mkdirOpenat(at.fd, Buffer.from(CLAIM))));
        return chain;
      } catch (error) {
        // ENOENT: the folder was removed meanwhile.
        if (errorCode(error) === 'ENOENT') break;
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const claim = at.lstatOrNull(CLAIM);
      if (!claim?.isDirectory() || Date.now() - claim.mtimeMs < staleMs) break;
      at = at.openDirectory(CLAIM);
      chain.push(at);
    }
  } catch (error) {
    closeAll(chain);
    if (errorCode(error) !== 'ENOENT') throw error;
    return null;
  }
  closeAll(chain);
  return null;
}

function closeAll(handles: DirHandle[]): void {
  for (const handle of handles) handle.close();
}

// Gives a claim up, leaving the lock as it was (stale claims above it included).
export function dropClaim(folder: LockFolder, chain: DirHandle[]): void {
  const above = chain.at(-2) ?? folder.dir;
  try {
    above.rmdir(CLAIM);
  } finally {
    closeAll(chain);
  }
}

// Removes the lock folder, its holder files and the claims (`chain`) in it,
// nothing else: a folder that holds more is left (InvalidLock), and the
// folder is removed from its name only while it is still the one there.
// Another taker may claim it in the moment between this one's claim going
// and the folder: that taker finds the holder gone and gives its claim up
// at once, so the removal is tried again for a moment (CLAIM_WAITS_MS).
// One that still cannot be removed from its name (moved away meanwhile, or
// claimed by a taker that died there) gets its holder back, so that it is
// judged by it wherever it is; false when it is still claimed.
export async function removeLockFolder(parent: DirHandle, name: string, folder: LockFolder, chain: DirHandle[] = []): Promise<boolean> {
  const notEmpty = (error: unknown): unknown =>
    errorCode(error) === 'ENOTEMPTY' ? new InvalidLock('holds entries a lock of this service never holds') : error;
  try {
    for (const file of [HOLDER_FILE, HOLDER_TEMP]) unlinkIfThere(folder.dir, file);
    for (let index = chain.length - 1; index >= 0; index -= 1) {
      try {
        (chain[index - 1] ?? folder.dir).rmdir(CLAIM);
      } catch (error) {
        throw notEmpty(error);
      }
    }
  } finally {
    closeAll(chain);
  }
  const claimedOnly = (): boolean => folder.dir.entries().every((entry) => entry.name === CLAIM);
  let failure: unknown = null;
  for (const waitMs of CLAIM_WAITS_MS) {
    if (waitMs > 0) await delay(waitMs);
    if (parent.lstatOrNull(name)?.ino !== folder.ino) break;
    try {
      parent.rmdir(name);
      return true;
    } catch (error) {
      failure = error;
      if (errorCode(error) !== 'ENOTEMPTY' || !claimedOnly()) break;
    }
  }
  const claimed = failure !== null && errorCode(failure) === 'ENOTEMPTY';
  if (claimed && !claimedOnly()) throw notEmpty(failure);
  if (folder.holder) await writeHolder(folder.dir, folder.holder);
  return !claimed || parent.lstatOrNull(name)?.ino !== folder.ino;
}
