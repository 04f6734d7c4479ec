// A depth-first walk of one directory tree through descriptors (see
// dirHandle.ts): each folder is opened once without following links and its
// entries are listed and lstat'ed relative to it in one call; every
// non-directory entry, links included, is a leaf. Iterative, so depth is no limit but open descriptors
// (one per level). Each folder's names are read at once (memory grows with
// the widest folder, not the tree). A folder of another filesystem (a mount
// point inside the tree) is never entered. Paths are byte strings.
import { DirHandle, errorCode, type EntryStat, type StatedEntry } from '../dirHandle.ts';

export interface WalkEntry {
  // The folder holding the entry, and the entry's name in it.
  parent: DirHandle;
  name: string;
  relativePath: string;
  // Its lstat as listed; null when it vanished meanwhile.
  stat: EntryStat | null;
}

export interface WalkVisitor {
  // A non-directory entry: file, symlink, fifo, socket, device.
  leaf(entry: WalkEntry): void;
  // A directory just opened (the root included), with its fstat.
  directoryOpened?(relativePath: string, stat: EntryStat): void;
  // The same directory once its contents have been visited (post-order);
  // not called when the walk was stopped.
  directoryDone?(relativePath: string): void;
  // A directory that could not be opened or read (no permission, I/O error;
  // EXDEV: another filesystem is mounted there). One that vanished, or became
  // a link or a file, is not reported.
  unreadable?(relativePath: string, code: string): void;
}

export interface WalkOptions {
  // Top-level names to leave out (the caller handles them separately).
  skipTopLevel?: ReadonlySet<string>;
  // When given, only these top-level names are visited (one share of a tree
  // walked by several threads).
  onlyTopLevel?: ReadonlySet<string>;
  shouldStop?: () => boolean;
}

interface OpenFolder {
  handle: DirHandle;
  relativePath: string;
  entries: StatedEntry[];
  next: number;
}

// Walks the folder `root` holds (which stays open: the caller's).
export function walkTree(root: DirHandle, visitor: WalkVisitor, options: WalkOptions = {}): void {
  const stack: OpenFolder[] = [];
  let treeDevice: number | undefined;
  const enter = (handle: DirHandle, relativePath: string): void => {
    let entries: StatedEntry[] = [];
    try {
      const stat = handle.stat();
      treeDevice ??= stat.dev;
      if (stat.dev !== treeDevice) {
        visitor.unreadable?.(relativePath, 'EXDEV');
        handle.close();
        return;
      }
      visitor.directoryOpened?.(relativePath, stat);
      entries = handle.statedEntries();
    } catch (error) {
      visitor.unreadable?.(relativePath, errorCode(error));
    }
    stack.push({ handle, relativePath, entries, next: 0 });
  };
  enter(root.borrow(), '');
  try {
    while (stack.length > 0) {
      const folder = stack.at(-1) as OpenFolder;
      const entry = folder.entries[folder.next++];
      if (options.shouldStop?.()) return;
      if (!entry) {
        stack.pop();
        folder.handle.close();
        visitor.directoryDone?.(folder.relativePath);
        continue;
      }
      if (folder.relativePath === '' && !visitsTopLevel(entry.name, options)) continue;
      const relativePath = folder.relativePath ? `${folder.relativePath}/${entry.name}` : entry.name;
      // Could not be looked at (not "gone"): the tree is not whole without it.
      if (entry.error && !entry.isDirectory) {
        visitor.unreadable?.(relativePath, entry.error);
        continue;
      }
      const child = entry.isDirectory ? openChild(folder.handle, entry.name, relativePath, visitor) : null;
      if (child) enter(child, relativePath);
      else if (child === null) visitor.leaf({ parent: folder.handle, name: entry.name, relativePath, stat: entry.stat });
    }
  } finally {
    for (const folder of stack) folder.handle.close();
  }
}

function visitsTopLevel(name: string, options: WalkOptions): boolean {
  return !options.skipTopLevel?.has(name) && options.onlyTopLevel?.has(name) !== false;
}

// The child folder opened, null when it is no longer a folder (a leaf now),
// undefined when it is gone or cannot be opened (reported).
function openChild(parent: DirHandle, name: string, relativePath: string, visitor: WalkVisitor): DirHandle | null | undefined {
  try {
    return parent.openDirectory(name);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP' || code === 'ENOTDIR') return null;
    // EXDEV (a mount point) is reported: the tree is not whole without it.
    if (code !== 'ENOENT') visitor.unreadable?.(relativePath, code);
    return undefined;
  }
}
