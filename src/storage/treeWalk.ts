// A depth-first walk of one directory tree that never follows a symbolic
// link: every non-directory entry, links included, is a leaf. Each folder's
// names are read at once (memory grows with the widest folder, not the tree).
import fs from 'node:fs';

export interface WalkEntry {
  path: string;
  relativePath: string;
}

export interface WalkVisitor {
  // A non-directory entry: file, symlink, fifo, socket, device.
  leaf(entry: WalkEntry): void;
  // A directory about to be read (the root included), with its lstat.
  directoryOpened?(entry: WalkEntry, stat: fs.Stats): void;
  // The same directory once its contents have been visited (post-order);
  // not called when the walk was stopped.
  directoryDone?(entry: WalkEntry): void;
  // A directory that could not be read (vanished, no permission, ...).
  unreadable?(entry: WalkEntry, code: string): void;
}

export interface WalkOptions {
  // Top-level names to leave out (the caller handles them separately).
  skipTopLevel?: ReadonlySet<string>;
  // When given, only these top-level names are visited (one share of a tree
  // walked by several threads).
  onlyTopLevel?: ReadonlySet<string>;
  shouldStop?: () => boolean;
}

export function walkTree(root: string, visitor: WalkVisitor, options: WalkOptions = {}): void {
  walkDirectory({ path: root, relativePath: '' }, visitor, options, true);
}

function walkDirectory(
  directory: WalkEntry,
  visitor: WalkVisitor,
  options: WalkOptions,
  topLevel: boolean,
): void {
  // Checked just before opening: the entry must still be a real directory.
  const stat = lstatOrNull(directory.path);
  if (!stat?.isDirectory()) return;
  visitor.directoryOpened?.(directory, stat);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(directory.path, { withFileTypes: true });
  } catch (error) {
    visitor.unreadable?.(directory, errorCode(error));
    entries = [];
  }
  for (const dirent of entries) {
    if (options.shouldStop?.()) return;
    if (topLevel && (options.skipTopLevel?.has(dirent.name) || options.onlyTopLevel?.has(dirent.name) === false)) {
      continue;
    }
    const entry = {
      path: `${directory.path}/${dirent.name}`,
      relativePath: topLevel ? dirent.name : `${directory.relativePath}/${dirent.name}`,
    };
    if (dirent.isDirectory()) walkDirectory(entry, visitor, options, false);
    else visitor.leaf(entry);
  }
  if (!options.shouldStop?.()) visitor.directoryDone?.(directory);
}

export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

export function lstatOrNull(path: string): fs.Stats | null {
  try {
    return fs.lstatSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}
