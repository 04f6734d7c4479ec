// A depth-first walk of one directory tree through descriptors (see
// dirHandle.ts): each folder is opened once without following links and its
// entries are named relative to it; every non-directory entry, links
// included, is a leaf. Iterative, so depth is no limit but open descriptors
// (one per level). Each folder's names are read at once (memory grows with
// the widest folder, not the tree). Paths are byte strings.
import type fs from 'node:fs';
import { DirHandle, errorCode, type DirEntry } from '../dirHandle.ts';

interface WalkEntry {
  // The folder holding the entry, and the entry's name in it.
  parent: DirHandle;
  name: string;
  relativePath: string;
}

interface WalkVisitor {
  // A non-directory entry: file, symlink, fifo, socket, device.
  leaf(entry: WalkEntry): void;
  // A directory just opened (the root included), with its fstat.
  directoryOpened?(relativePath: string, stat: fs.Stats): void;
  // The same directory once its contents have been visited (post-order);
  // not called when the walk was stopped.
  directoryDone?(relativePath: string): void;
  // A directory that could not be opened or read (no permission, I/O error).
  // One that vanished, or became a link or a file, is not reported.
  unreadable?(relativePath: string, code: string): void;
}

interface WalkOptions {
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
  entries: DirEntry[];
  next: number;
}

// Walks the folder `root` holds (which stays open: the caller's).
export function walkTree(root: DirHandle, visitor: WalkVisitor, options: WalkOptions = {}): void {
  const stack: OpenFolder[] = [];
  const enter = (handle: DirHandle, relativePath: string): void => {
    let entries: DirEntry[];
    try {
      visitor.directoryOpened?.(relativePath, handle.stat());
      entries = handle.entries();
    } catch (error) {
      visitor.unreadable?.(relativePath, errorCode(error));
      entries = [];
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
      const child = entry.isDirectory ? openChild(folder.handle, entry.name, relativePath, visitor) : null;
      if (child) enter(child, relativePath);
      else if (child === null) visitor.leaf({ parent: folder.handle, name: entry.name, relativePath });
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
    if (code !== 'ENOENT') visitor.unreadable?.(relativePath, code);
    return undefined;
  }
}
