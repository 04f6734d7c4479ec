// Descriptor-relative access to the staging tree (DESIGN §4b), as `rm -rf`
// and Python's rmtree do it with openat/unlinkat. Linux resolves
// `/proc/self/fd/<fd>/<name>` from the directory that descriptor holds, never
// from a path, so a folder renamed or swapped for a link after it was opened
// cannot redirect what follows; every open uses O_NOFOLLOW, so a link is never
// entered. A path built this way is short whatever the depth (no PATH_MAX).
//
// Names are byte strings: latin1, one character per byte, exactly as the disk
// holds them, UTF-8 or not (see domain/entryName.ts for how they are shown).
import fs from 'node:fs';
import { promisify } from 'node:util';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
// O_NONBLOCK: opening a FIFO must never wait for a writer.
const DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK;
export const READ_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

const openAsync = promisify(fs.open);
const closeAsync = promisify(fs.close);

export interface DirEntry {
  name: string;
  isDirectory: boolean;
}

export class DirHandle {
  private readonly prefix: string;

  // `owned`: this handle closes the descriptor; a borrowed one (a descriptor
  // another thread opened and will close) never does.
  constructor(
    readonly fd: number,
    private readonly owned = true,
  ) {
    this.prefix = `/proc/self/fd/${fd}/`;
  }

  // A trusted directory named by the configuration (staging root, NAS mount):
  // links in its own path are the operator's and are followed.
  static openTrusted(path: string): DirHandle {
    return new DirHandle(fs.openSync(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK));
  }

  static async openTrustedAsync(path: string): Promise<DirHandle> {
    return new DirHandle(await openAsync(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK));
  }

  // The path the kernel resolves to `name` inside this directory.
  pathOf(name: string): Buffer {
    return Buffer.from(this.prefix + name, 'latin1');
  }

  // Throws ELOOP for a link, ENOTDIR for anything else that is not a folder.
  openDirectory(name: string): DirHandle {
    return new DirHandle(fs.openSync(this.pathOf(name), DIRECTORY_FLAGS));
  }

  async openDirectoryAsync(name: string): Promise<DirHandle> {
    return new DirHandle(await openAsync(this.pathOf(name), DIRECTORY_FLAGS));
  }

  // Opens a folder some levels down ('a/b/c'), one level at a time.
  openPath(relativePath: string): DirHandle {
    if (relativePath === '') return this.borrow();
    let current: DirHandle = this.borrow();
    for (const segment of relativePath.split('/')) {
      try {
        const next = current.openDirectory(segment);
        current.close();
        current = next;
      } catch (error) {
        current.close();
        throw error;
      }
    }
    return current;
  }

  // Another handle on the same descriptor that does not close it.
  borrow(): DirHandle {
    return new DirHandle(this.fd, false);
  }

  openFile(name: string): number {
    return fs.openSync(this.pathOf(name), READ_FLAGS);
  }

  async openFileAsync(name: string): Promise<number> {
    return openAsync(this.pathOf(name), READ_FLAGS);
  }

  entries(): DirEntry[] {
    const dirents = fs.readdirSync(`/proc/self/fd/${this.fd}`, { encoding: 'buffer', withFileTypes: true });
    return dirents.map((dirent) => ({ name: dirent.name.toString('latin1'), isDirectory: dirent.isDirectory() }));
  }

  stat(): fs.Stats {
    return fs.fstatSync(this.fd);
  }

  lstat(name: string): fs.Stats {
    return fs.lstatSync(this.pathOf(name));
  }

  lstatOrNull(name: string): fs.Stats | null {
    try {
      return fs.lstatSync(this.pathOf(name), { throwIfNoEntry: false }) ?? null;
    } catch {
      return null;
    }
  }

  unlink(name: string): void {
    fs.unlinkSync(this.pathOf(name));
  }

  rmdir(name: string): void {
    fs.rmdirSync(this.pathOf(name));
  }

  close(): void {
    if (this.owned) fs.closeSync(this.fd);
  }

  async closeAsync(): Promise<void> {
    if (this.owned) await closeAsync(this.fd);
  }
}

// Opens `path` itself (not a link) and hands it to `work`, closing it after:
// for callers that name a run by path (tests, warm-up).
export function withDirectoryAt<T>(path: string, work: (directory: DirHandle) => T): T {
  const slash = path.lastIndexOf('/');
  const parent = DirHandle.openTrusted(slash <= 0 ? '/' : path.slice(0, slash));
  let directory: DirHandle;
  try {
    directory = parent.openDirectory(Buffer.from(path.slice(slash + 1)).toString('latin1'));
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
