// Reads a run's checksum manifest through the run's descriptor (see
// dirHandle.ts): never through a link, never waiting on a FIFO, only a
// regular file within MAX_MANIFEST_BYTES. Lines are split as bytes, a chunk
// at a time, in linear time with bounded memory; a line longer than
// MAX_LINE_BYTES, or an entry that leaves the run, makes the whole manifest
// invalid (fail closed: no file of the run can then be shown to be synced).
import fs from 'node:fs';
import { shownText } from '../../domain/entryName.ts';
import { manifestPathIn, manifestPathProblem, parseManifestLine, type ManifestEntry } from '../../domain/manifest.ts';
import { PathIndex } from '../../domain/pathIndex.ts';
import { closeFile, errorCode, type DirHandle } from '../dirHandle.ts';

const CHUNK = 64 * 1024;
// sha256sum's line: a hash, a separator and a path; 64 KiB is far past any
// path a run can hold and stops a file of zeros at once.
export const MAX_LINE_BYTES = 64 * 1024;
// Ten million files at a hundred bytes a line.
export const MAX_MANIFEST_BYTES = 1024 ** 3;
// The index is sized up front for at most this many paths; it grows past it.
const MAX_PRESIZED_PATHS = 10_000_000;
// A part's share is an estimate (its part of the folders, not of the files):
// its index is sized for this much more, so that a part a little larger than
// its share does not grow it.
const PART_MARGIN = 1.25;

export class ManifestInvalid extends Error {
  constructor(file: string, why: string) {
    super(`the checksum manifest ${shownText(file)} cannot be used: ${why}`);
  }
}

export const MOUNTED_IN_RUN = 'is another filesystem mounted in the run';

// The manifest, or its folder (`relativePath`), is another filesystem
// mounted in the run: the run is not one tree, which a survey reports.
export class ManifestMounted extends ManifestInvalid {
  constructor(
    file: string,
    readonly relativePath: string,
  ) {
    super(file, `${shownText(relativePath)} ${MOUNTED_IN_RUN}`);
  }
}

// The manifest's entries, read as they are consumed; null when the run has
// none. Throws ManifestInvalid (also while iterating) for one that exists but
// cannot be used.
export function openManifest(run: DirHandle, file: string): Iterable<ManifestEntry> | null {
  return openLines(run, file, parseManifestLine);
}

// Which part of the manifest an index holds: the paths `keep` accepts, about
// `share` of its lines (to size the index; a share too small only grows it).
export interface ManifestPart {
  keep: (path: string) => boolean;
  share: number;
}

// The manifest's paths (only those of `part`, when given), or null when the
// run has no manifest. The index is sized from the file's line count.
export function loadManifestIndex(run: DirHandle, file: string, part?: ManifestPart): PathIndex | null {
  let lines = 0;
  const paths = openLines(run, file, manifestPathIn, (fd, bytes) => (lines = countLines(file, fd, bytes)));
  if (!paths) return null;
  const share = part ? Math.min(1, part.share * PART_MARGIN) : 1;
  const index = new PathIndex(Math.min(MAX_PRESIZED_PATHS, Math.ceil(lines * share)));
  for (const path of paths) if (!part || part.keep(path)) index.add(path);
  return index;
}

function openLines<T extends { path: string } | string>(
  run: DirHandle,
  file: string,
  parse: (line: string) => T | null,
  sized?: (fd: number, bytes: number) => void,
): Iterable<T> | null {
  const fd = openManifestFile(run, file);
  if (fd === null) return null;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new ManifestInvalid(file, 'it is not a regular file');
    if (stat.size > MAX_MANIFEST_BYTES) {
      throw new ManifestInvalid(file, `it is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    sized?.(fd, stat.size);
  } catch (error) {
    closeFile(fd);
    throw error;
  }
  return readLines(file, fd, parse);
}

function openManifestFile(run: DirHandle, file: string): number | null {
  const slash = file.lastIndexOf('/');
  const folderPath = slash === -1 ? '' : file.slice(0, slash);
  let folder: DirHandle;
  try {
    folder = run.openPath(folderPath);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return null;
    if (code === 'EXDEV') throw new ManifestMounted(file, folderPath);
    throw new ManifestInvalid(file, code === 'ELOOP' || code === 'ENOTDIR' ? 'its folder is not a folder' : code);
  }
  const name = file.slice(slash + 1);
  try {
    // Looked at before it is opened: a device is never opened at all.
    const stat = folder.lstat(name);
    if (stat.isSymbolicLink()) throw new ManifestInvalid(file, 'it is a symbolic link');
    if (!stat.isFile()) throw new ManifestInvalid(file, 'it is not a regular file');
    return folder.openFile(name);
  } catch (error) {
    if (error instanceof ManifestInvalid) throw error;
    const code = errorCode(error);
    if (code === 'ENOENT') return null;
    if (code === 'EXDEV') throw new ManifestMounted(file, file);
    throw new ManifestInvalid(file, code === 'ELOOP' ? 'it is a symbolic link' : code);
  } finally {
    folder.close();
  }
}

function* readLines<T extends { path: string } | string>(
  file: string,
  fd: number,
  parse: (line: string) => T | null,
): Generator<T> {
  const take = (line: string, lineNumber: number): T | null => {
    const parsed = parse(line);
    const path = typeof parsed === 'string' ? parsed : parsed?.path;
    const problem = path === undefined ? null : manifestPathProblem(path);
    if (problem) throw new ManifestInvalid(file, `line ${lineNumber}: the entry ${problem}, outside the run`);
    return parsed;
  };
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    // The start of a line that runs on past the chunk it began in. Each
    // chunk is one latin1 string (a byte a character); lines are slices of it.
    let pending: string[] = [];
    let pendingBytes = 0;
    let lineNumber = 1;
    let total = 0;
    for (let read = readChunk(file, fd, buffer); read > 0; read = readChunk(file, fd, buffer)) {
      // The size was checked before reading; a file that grows is cut off too.
      total += read;
      if (total > MAX_MANIFEST_BYTES) throw new ManifestInvalid(file, `it is larger than ${MAX_MANIFEST_BYTES} bytes`);
      const chunk = buffer.toString('latin1', 0, read);
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        if (pendingBytes + end - start > MAX_LINE_BYTES) throw tooLong(file, lineNumber);
        const line = pending.length ? pending.join('') + chunk.slice(start, end) : chunk.slice(start, end);
        pending = [];
        pendingBytes = 0;
        const parsed = take(line, lineNumber);
        if (parsed !== null) yield parsed;
        lineNumber += 1;
        start = end + 1;
      }
      pendingBytes += read - start;
      if (pendingBytes > MAX_LINE_BYTES) throw tooLong(file, lineNumber);
      if (read > start) pending.push(chunk.slice(start));
    }
    if (pendingBytes > 0) {
      const parsed = take(pending.join(''), lineNumber);
      if (parsed !== null) yield parsed;
    }
  } finally {
    closeFile(fd);
  }
}

function tooLong(file: string, lineNumber: number): ManifestInvalid {
  return new ManifestInvalid(file, `line ${lineNumber} is longer than ${MAX_LINE_BYTES} bytes`);
}

// The newlines in the first `bytes` of the file, read at their positions
// (the file's own offset, where the lines are read from, does not move).
function countLines(file: string, fd: number, bytes: number): number {
  const buffer = Buffer.allocUnsafe(CHUNK);
  let lines = 0;
  for (let position = 0; position < bytes; ) {
    const chunk = buffer.subarray(0, readChunk(file, fd, buffer, position));
    if (chunk.length === 0) break;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
    position += chunk.length;
  }
  return lines + 1;
}

function readChunk(file: string, fd: number, buffer: Buffer, position: number | null = null): number {
  try {
    return fs.readSync(fd, buffer, 0, buffer.length, position);
  } catch (error) {
    throw new ManifestInvalid(file, errorCode(error));
  }
}
