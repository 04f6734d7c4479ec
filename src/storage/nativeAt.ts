// The descriptor-relative calls of native/at.c (openat, fstatat without
// following links, unlinkat and its checked form, a one-call folder scan, an
// inode's flags, the volume under a descriptor, and mkdirat with the
// folder's opening, its mount id, and inotify on folders held open),
// built by `npm ci`.
// Names are Buffers of the entry's raw bytes, one path component each.
import { createRequire } from 'node:module';

export interface ScanResult {
  // Every name followed by a NUL byte.
  names: Buffer;
  // 1 for a folder, 0 for anything else, per name.
  directories: Uint8Array;
  // With stats: STAT_FIELDS per name (when fstatat failed: mode 0 and its
  // errno in the size field).
  stats?: Float64Array;
}

// [mode, size, mtimeMs, ino, dev, ctimeMs, blocks], as native/at.c fills them.
export const STAT_FIELDS = 7;

export interface NativeAt {
  open(path: Buffer, flags: number): number;
  close(fd: number): void;
  // Without crossMounts, a mount point (bind mounts too) is refused: EXDEV.
  openat(dirfd: number, name: Buffer, flags: number, crossMounts: boolean): number;
  lstatat(dirfd: number, name: Buffer): Float64Array;
  fstat(fd: number): Float64Array;
  unlinkat(dirfd: number, name: Buffer, removeDirectory: boolean): void;
  // Unlinks a non-folder only if a fresh look still shows the inode, size,
  // mtime and ctime given: 0 once unlinked; 1 when it changed (nothing
  // unlinked); 2 when a regular file was written to between that look and
  // its unlink (its content restored under its name); -errno when that
  // restore failed.
  unlinkatUnchanged(dirfd: number, name: Buffer, ino: number, size: number, mtimeMs: number, ctimeMs: number): number;
  scan(dirfd: number, withStats: boolean): ScanResult;
  // FS_IOC_GETFLAGS of an open file or folder; -1 where the filesystem has none.
  inodeFlags(fd: number): number;
  // fstatvfs: [f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree].
  fstatvfs(fd: number): Float64Array;
  // mkdirat, then openat of the folder made without following links: its descriptor.
  mkdirOpenat(dirfd: number, name: Buffer): number;
  // statx STATX_MNT_ID of an open file or folder; -1 where the kernel has none.
  mountId(fd: number): number;
  // A non-blocking inotify descriptor.
  inotifyInit(): number;
  // Watches the folder open at dirfd (that very inode): its watch descriptor.
  inotifyWatch(inotifyFd: number, dirfd: number): number;
  inotifyUnwatch(inotifyFd: number, wd: number): void;
  // Every event queued: [wd, mask, hasName] per event (an overflow: wd -1).
  inotifyRead(inotifyFd: number): Int32Array;
}

// build/ lies two levels above this file, from src/storage and dist/storage alike.
function load(): NativeAt {
  try {
    return createRequire(import.meta.url)('../../build/Release/at.node') as NativeAt;
  } catch (error) {
    throw new Error(
      `The native addon build/Release/at.node cannot be loaded (${(error as Error).message}). ` +
        'It is built by `npm ci` (or `npm run install`), which needs python3, make and a C compiler.',
      { cause: error },
    );
  }
}

export const nativeAt = load();
