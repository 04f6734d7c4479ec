// What lstat says of an entry, in a form that crosses to and from worker
// threads: enough to tell whether the entry changed since last seen.
import type fs from 'node:fs';
import { lstatOrNull } from './treeWalk.ts';

export interface FileStamp {
  kind: 'file' | 'directory' | 'other';
  mtimeMs: number;
  size: number;
  ino: number;
}

export function stampOf(stat: fs.Stats): FileStamp {
  const kind = stat.isFile() ? 'file' : stat.isDirectory() ? 'directory' : 'other';
  return { kind, mtimeMs: stat.mtimeMs, size: stat.size, ino: stat.ino };
}

export function sameStamp(a: FileStamp | null | undefined, b: FileStamp | null | undefined): boolean {
  return !!a && !!b && a.kind === b.kind && a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}

// Many lstats in one go (a worker task): null for what is not there.
export function stampMany(paths: readonly string[]): Array<FileStamp | null> {
  return paths.map((path) => {
    const stat = lstatOrNull(path);
    return stat ? stampOf(stat) : null;
  });
}
