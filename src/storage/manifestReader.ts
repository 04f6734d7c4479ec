// Reads a run's checksum manifest a chunk at a time (bounded memory for a
// million lines), never through a symbolic link.
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { manifestPathIn, parseManifestLine, type ManifestEntry } from '../domain/manifest.ts';
import { PathIndex } from '../domain/pathIndex.ts';
import { errorCode } from './treeWalk.ts';

// Small enough that a chunk's strings are young, short-lived garbage (a
// megabyte string would sit in the large-object space until a full GC).
const CHUNK = 64 * 1024;

export class ManifestUnreadable extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
  ) {
    super(`the checksum manifest ${file} cannot be read (${code})`);
  }
}

// The manifest's well-formed entries, read as they are consumed; null when
// the run has no manifest. Throws ManifestUnreadable for one that exists but
// cannot be read.
export function openManifest(file: string): Iterable<ManifestEntry> | null {
  return openLines(file, parseManifestLine);
}

// A manifest line is a hash, a separator and a path: about this many bytes.
const TYPICAL_LINE_BYTES = 90;

// The manifest's paths (only those `keep` accepts, when given), or null when
// the run has no manifest.
export function loadManifestIndex(file: string, keep?: (path: string) => boolean): PathIndex | null {
  const paths = openLines(file, manifestPathIn);
  if (!paths) return null;
  const index = new PathIndex(keep ? undefined : Math.ceil(fs.statSync(file).size / TYPICAL_LINE_BYTES));
  for (const path of paths) if (!keep || keep(path)) index.add(path);
  return index;
}

function openLines<T>(file: string, parse: (line: string) => T | null): Iterable<T> | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return null;
    throw new ManifestUnreadable(file, errorCode(error));
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new ManifestUnreadable(file, 'not a regular file');
  }
  return readLines(file, fd, parse);
}

function* readLines<T>(file: string, fd: number, parse: (line: string) => T | null): Generator<T> {
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    const decoder = new StringDecoder('utf8');
    let carry = '';
    for (let read = readChunk(file, fd, buffer); read > 0; read = readChunk(file, fd, buffer)) {
      const lines = (carry + decoder.write(buffer.subarray(0, read))).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = parse(line);
        if (parsed !== null) yield parsed;
      }
    }
    const last = parse(carry + decoder.end());
    if (last !== null) yield last;
  } finally {
    fs.closeSync(fd);
  }
}

function readChunk(file: string, fd: number, buffer: Buffer): number {
  try {
    return fs.readSync(fd, buffer);
  } catch (error) {
    throw new ManifestUnreadable(file, errorCode(error));
  }
}
