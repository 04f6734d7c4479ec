// Reads a run's checksum manifest a chunk at a time (bounded memory for a
// million lines), never through a symbolic link.
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { parseManifestLine, type ManifestEntry } from '../domain/manifest.ts';
import { PathIndex } from '../domain/pathIndex.ts';
import { errorCode } from './treeWalk.ts';

const CHUNK = 1024 * 1024;

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
  return readEntries(file, fd);
}

function* readEntries(file: string, fd: number): Generator<ManifestEntry> {
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    const decoder = new StringDecoder('utf8');
    let carry = '';
    for (let read = readChunk(file, fd, buffer); read > 0; read = readChunk(file, fd, buffer)) {
      const lines = (carry + decoder.write(buffer.subarray(0, read))).split('\n');
      carry = lines.pop() ?? '';
      yield* parsedLines(lines);
    }
    yield* parsedLines([carry + decoder.end()]);
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

function* parsedLines(lines: readonly string[]): Generator<ManifestEntry> {
  for (const line of lines) {
    const entry = parseManifestLine(line);
    if (entry) yield entry;
  }
}

// A manifest line is a hash, a separator and a path: about this many bytes.
const TYPICAL_LINE_BYTES = 90;

// The manifest's paths, or null when the run has no manifest.
export function loadManifestIndex(file: string): PathIndex | null {
  const entries = openManifest(file);
  if (!entries) return null;
  const size = fs.statSync(file).size;
  const index = new PathIndex(Math.ceil(size / TYPICAL_LINE_BYTES));
  for (const entry of entries) index.add(entry.path);
  return index;
}
