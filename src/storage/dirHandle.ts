// Descriptor-relative access to the staging tree (the tree is untrusted input: README "How a clear stays safe"), as `rm -rf`
// and Python's rmtree do it: each folder is opened once, without following
// links, and every entry is named relative to that open folder (openat,
// fstatat, unlinkat: native/at.c), so a folder renamed or swapped for a link
// after it was opened cannot redirect what follows, and depth has no
// PATH_MAX. The few asynchronous calls of the main thread (Node's fs has no
// *at form) name an entry as `/proc/self/fd/<fd>/<name>`, which Linux also
// resolves from the folder the descriptor holds. A descriptor is closed the
// way it was opened (Node's fs tracks its own in worker threads).
//
// Names are byte strings: latin1, one character per byte, exactly as the disk
// holds them, UTF-8 or not (see domain/entryName.ts for how they are shown).
// One cohesive thing, the descriptor and every call made through it, hence
// its length (about 285 lines).
import fs from 'node:fs';
import os from 'node:os';
import { promisify } from 'node:util';
import { shownText } from '../domain/entryName.ts';
import { nativeAt, STAT_FIELDS } from './nativeAt.ts';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, S_IFMT, S_IFREG, S_IFDIR, S_IFLNK } = fs.constants;
// O_NONBLOCK: opening a FIFO must never wait for a writer.
const DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;
export const READ_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

const openAsync = promisify(fs.open);
const closeAsync = promisify(fs.close);

// What lstat says of an entry, as far as the service needs it.
export interface StatLike {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

export class EntryStat implements StatLike {
  constructor(
    readonly mode: number,
    readonly size: number,
    readonly mtimeMs: number,
    readonly ino: number,
    // The filesystem it lives on: a folder of another one is a mount point.
    readonly dev: number,
    // Changes with every change of the entry; unlike mtime, no one can set it.
    readonly ctimeMs: number,
    // Allocated 512-byte blocks: less than the size for a sparse file.
    readonly blocks: number,
  ) {}

  // Indexed one by one, no closure: called for every entry of every walk.
  static of(fields: Float64Array, at = 0): EntryStat {
    return new EntryStat(
      fields[at] ?? 0,
      fields[at + 1] ?? 0,
      fields[at + 2] ?? 0,
      fields[at + 3] ?? 0,
      fields[at + 4] ?? 0,
      fields[at + 5] ?? 0,
      fields[at + 6] ?? 0,
    );
  }

  // What removing it gives back to the disk, as counted in bytes freed: a
  // regular file's size, or its allocated blocks when fewer (a sparse file);
  // any other entry's lstat size.
  freedBytes(): number {
    return this.isFile() ? Math.min(this.size, this.blocks * 512) : this.size;
  }

  isFile(): boolean {
    return (this.mode & S_IFMT) === S_IFREG;
  }

  isDirectory(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }

  isSymbolicLink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }
}

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

export interface StatedEntry extends DirEntry {
  // Null when it could not be looked at: gone meanwhile (no `error`), or an
  // error the caller must not take for "gone" (fail closed).
  stat: EntryStat | null;
  error?: string;
}

const ENOENT = os.constants.errno.ENOENT;
const errnoNames = new Map(Object.entries(os.constants.errno).map(([name, number]) => [number, name]));

const bytes = (name: string): Buffer => Buffer.from(name, 'latin1');

// Who closes a handle's descriptor: the addon (it opened it), Node's fs (the
// asynchronous opens), or nobody here (a descriptor borrowed from its owner).
type Owner = 'native' | 'fs' | 'borrowed';

export class DirHandle {
  // Closed once at most: a descriptor number closed twice could be another
  // thread's by then.
  private closed = false;
  private mount: number | undefined;

  constructor(
    readonly fd: number,
    private readonly owner: Owner = 'native',
  ) {}

  // A descriptor another thread opened and will close.
  static borrowed(fd: number): DirHandle {
    return new DirHandle(fd, 'borrowed');
  }

  // A trusted directory named by the configuration (staging root, NAS mount):
  // links in its own path are the operator's and are followed.
  static openTrusted(path: string): DirHandle {
    return new DirHandle(nativeAt.open(Buffer.from(path), O_RDONLY | O_DIRECTORY | O_NONBLOCK));
  }

  static async openTrustedAsync(path: string): Promise<DirHandle> {
    return new DirHandle(await openAsync(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK), 'fs');
  }

  // The path the kernel resolves to `name` inside this directory (for the
  // asynchronous fs calls of the main thread).
  pathOf(name: string): Buffer {
    return Buffer.from(`/proc/self/fd/${this.fd}/${name}`, 'latin1');
  }

  // Throws ENOTDIR for a link (O_DIRECTORY with O_NOFOLLOW) or anything else
  // that is not a folder, and EXDEV for a mount point unless `crossMounts`
  // (only for a folder named by a trusted path: see withDirectoryAt).
  openDirectory(name: string, crossMounts = false): DirHandle {
    return new DirHandle(nativeAt.openat(this.fd, bytes(name), DIRECTORY_FLAGS, crossMounts));
  }

  // The same, off the main thread. The mount is looked at once the folder
  // is open (a name cannot be swapped between the two: the descriptor is it).
  async openDirectoryAsync(name: string, crossMounts = false): Promise<DirHandle> {
    const child = new DirHandle(await openAsync(this.pathOf(name), DIRECTORY_FLAGS), 'fs');
    if (crossMounts || child.mountId() === this.mountId()) return child;
    await child.closeAsync();
    throw Object.assign(new Error(`EXDEV: ${shownText(name)} is a mount point`), { code: 'EXDEV' });
  }

  // Opens a folder some levels down ('a/b/c'), one level at a time.
  openPath(relativePath: string, crossMounts = false): DirHandle {
    let current: DirHandle = this.borrow();
    if (relativePath === '') return current;
    for (const segment of relativePath.split('/')) {
      try {
        const next = current.openDirectory(segment, crossMounts);
        current.close();
        current = next;
      } catch (error) {
        current.close();
        throw error;
      }
    }
    return current;
  }

  // The mount this folder is on (statx's mnt_id; before Linux 5.8, that of
  // /proc/self/fdinfo): folders on either side of a mount point differ in it,
  // bind mounts of one filesystem included (they share st_dev). Synchronous:
  // the kernel answers from memory, never waiting on a disk. Asked once: a
  // descriptor's mount never changes.
  mountId(): number {
    this.mount ??= this.askMountId();
    return this.mount;
  }

  private askMountId(): number {
    const fromStatx = nativeAt.mountId(this.fd);
    if (fromStatx >= 0) return fromStatx;
    const info = fs.readFileSync(`/proc/self/fdinfo/${this.fd}`, 'latin1');
    const found = /^mnt_id:\s*(\d+)$/m.exec(info)?.[1];
    if (found === undefined) throw Object.assign(new Error(`no mnt_id for descriptor ${this.fd}`), { code: 'ENOTSUP' });
    return Number(found);
  }

  // Another handle on the same descriptor that does not close it.
  borrow(): DirHandle {
    return DirHandle.borrowed(this.fd);
  }

  // A file for reading; close it with closeFile.
  openFile(name: string): number {
    return nativeAt.openat(this.fd, bytes(name), READ_FLAGS, false);
  }

  // A file for reading, opened by Node's fs (close it with fs).
  async openFileAsync(name: string): Promise<number> {
    return openAsync(this.pathOf(name), READ_FLAGS);
  }

  entries(): DirEntry[] {
    const { names, directories } = nativeAt.scan(this.fd, false);
    return splitNames(names).map((name, index) => ({ name, isDirectory: directories[index] === 1 }));
  }

  // The entries with their lstat, in one call.
  statedEntries(): StatedEntry[] {
    const { names, directories, stats } = nativeAt.scan(this.fd, true);
    return splitNames(names).map((name, index) => {
      const stat = EntryStat.of(stats as Float64Array, index * STAT_FIELDS);
      const isDirectory = directories[index] === 1;
      if (stat.mode !== 0) return { name, isDirectory, stat };
      // A failed fstatat: its errno rides in the size field.
      if (stat.size === ENOENT) return { name, isDirectory, stat: null };
      return { name, isDirectory, stat: null, error: errnoNames.get(stat.size) ?? 'EUNKNOWN' };
    });
  }

  stat(): EntryStat {
    return EntryStat.of(nativeAt.fstat(this.fd));
  }

  lstat(name: string): EntryStat {
    return EntryStat.of(nativeAt.lstatat(this.fd, bytes(name)));
  }

  lstatOrNull(name: string): EntryStat | null {
    try {
      return this.lstat(name);
    } catch {
      return null;
    }
  }

  unlink(name: string): void {
    nativeAt.unlinkat(this.fd, bytes(name), false);
  }

  // Unlinks `name` only if it is still the entry `judged` (same inode, size,
  // mtime and ctime, read afresh at the moment it goes): 'unlinked'; 'changed'
  // when it was not (nothing unlinked) or was written to during its unlink
  // (then restored); 'unrestored' when that restore failed.
  unlinkUnchanged(name: string, judged: EntryStat): 'unlinked' | 'changed' | 'unrestored' {
    const outcome = nativeAt.unlinkatUnchanged(this.fd, bytes(name), judged.ino, judged.size, judged.mtimeMs, judged.ctimeMs);
    return outcome === 0 ? 'unlinked' : outcome > 0 ? 'changed' : 'unrestored';
  }

  rmdir(name: string): void {
    nativeAt.unlinkat(this.fd, bytes(name), true);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.owner === 'native') nativeAt.close(this.fd);
    else if (this.owner === 'fs') fs.closeSync(this.fd);
  }

  async closeAsync(): Promise<void> {
    if (this.owner !== 'fs') return this.close();
    if (this.closed) return;
    this.closed = true;
    await closeAsync(this.fd);
  }
}

export function closeFile(fd: number): void {
  nativeAt.close(fd);
}

function splitNames(names: Buffer): string[] {
  if (names.length === 0) return [];
  return names.toString('latin1', 0, names.length - 1).split('\0');
}

// Opens `path` itself (not a link) and hands it to `work`, closing it after:
// for callers that name a run by path (tests, warm-up).
export function withDirectoryAt<T>(path: string, work: (directory: DirHandle) => T): T {
  const slash = path.lastIndexOf('/');
  const parent = DirHandle.openTrusted(slash <= 0 ? '/' : path.slice(0, slash));
  let directory: DirHandle;
  try {
    directory = parent.openDirectory(Buffer.from(path.slice(slash + 1)).toString('latin1'), true);
  } finally {
    parent.close();
  }
  try {
    return work(directory);
  } finally {
    directory.close();
  }
}

// Whether this system resolves /proc/self/fd/<fd>/ to the folder the
// descriptor holds (Linux with /proc mounted): the service needs it.
export function descriptorPathsWork(): boolean {
  try {
    const root = DirHandle.openTrusted('/');
    try {
      return fs.statSync(root.pathOf('')).ino === fs.statSync('/').ino;
    } finally {
      root.close();
    }
  } catch {
    return false;
  }
}

export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}
