// Reads and rewrites a run's ingest.json through the run's descriptor: never
// through a link, never waiting on a FIFO, only a regular file within the
// size cap; always atomically, keeping every field this service does not know.
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { CleanupError } from '../domain/errors.ts';
import {
  applyTransition,
  parseIngestText,
  serializeIngest,
  type IngestRecord,
  type TransitionEntry,
} from '../domain/ingestRecord.ts';
import type { RunLocation } from '../domain/runPath.ts';
import { writeFileAtomicIn } from './atomicWrite.ts';
import { isPermissionError, permissionDenied } from './writeAccess.ts';
import { errorCode, type DirHandle } from './dirHandle.ts';
import { stampOf, type FileStamp } from './engine/fileStamp.ts';
import { INGEST_FILE, META_DIR } from './runLayout.ts';

// What a message names a run by.
type RunNames = Pick<RunLocation, 'runPath' | 'absolutePath'>;

const fstatAsync = promisify(fs.fstat);
const lstatAsync = promisify(fs.lstat);
const readAsync = promisify(fs.read);
const closeAsync = promisify(fs.close);

export interface IngestFile {
  record: IngestRecord;
  stamp: FileStamp;
}

// Large enough for a history of thousands of entries; a larger file is not
// one the Wizard wrote, and reading it would cost the service its memory.
export const DEFAULT_INGEST_MAX_BYTES = 4 * 1024 * 1024;

// The record, or null when the run has no ingest.json (not yet staged).
export async function readIngest(run: DirHandle, maxBytes = DEFAULT_INGEST_MAX_BYTES): Promise<IngestFile | null> {
  const meta = await openMeta(run);
  if (!meta) return null;
  let fd: number;
  try {
    // Looked at before it is opened: a device is never opened at all.
    const seen = await lstatAsync(meta.pathOf(INGEST_FILE));
    if (seen.isSymbolicLink()) throw new CleanupError('ingest_invalid', { problem: 'ingest.json is a symbolic link.' });
    if (!seen.isFile()) throw new CleanupError('ingest_invalid', { problem: 'ingest.json is not a regular file.' });
    fd = await meta.openFileAsync(INGEST_FILE);
  } catch (error) {
    if (error instanceof CleanupError) throw error;
    const code = errorCode(error);
    if (code === 'ENOENT') return null;
    const why = code === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${code})`;
    throw new CleanupError('ingest_invalid', { problem: `ingest.json ${why}.` });
  } finally {
    await meta.closeAsync();
  }
  try {
    const stat = await fstatAsync(fd);
    if (!stat.isFile()) throw new CleanupError('ingest_invalid', { problem: 'ingest.json is not a regular file.' });
    if (stat.size > maxBytes) {
      throw new CleanupError(
        'ingest_invalid',
        { problem: `ingest.json is ${stat.size} bytes, over the ${maxBytes}-byte cap (ingest_max_bytes); it was not read.` },
        { details: { size: stat.size, ingest_max_bytes: maxBytes } },
      );
    }
    return { record: parseIngestText(await readUpTo(fd, stat.size, maxBytes)), stamp: stampOf(stat) };
  } catch (error) {
    if (error instanceof CleanupError) throw error;
    throw new CleanupError('ingest_invalid', { problem: `ingest.json cannot be read (${errorCode(error)}).` });
  } finally {
    await closeAsync(fd);
  }
}

// The file's bytes as UTF-8, never more than the cap even if it grows.
async function readUpTo(fd: number, size: number, maxBytes: number): Promise<string> {
  const buffer = Buffer.alloc(Math.min(size, maxBytes) + 1);
  let length = 0;
  while (length < buffer.length) {
    const { bytesRead } = await readAsync(fd, buffer, length, buffer.length - length, length);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  if (length > maxBytes) throw new CleanupError('ingest_invalid', { problem: `ingest.json grew past the ${maxBytes}-byte cap while read.` });
  return buffer.toString('utf8', 0, length);
}

async function openMeta(run: DirHandle): Promise<DirHandle | null> {
  try {
    return await run.openDirectoryAsync(META_DIR);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return null;
    const why =
      code === 'ELOOP' || code === 'ENOTDIR'
        ? 'is not a directory (links are never followed)'
        : code === 'EXDEV'
          ? 'is another filesystem mounted in the run (a run is read and written only on the staging root\'s own filesystem)'
          : `cannot be read (${code})`;
    throw new CleanupError('ingest_invalid', { problem: `${META_DIR} ${why}.` });
  }
}

// The caller holds the run's lock; the transition is checked by the domain.
// A write that fails leaves ingest.json as it was (atomic write). Answers the
// new record and the size of the file now holding it.
export async function appendTransition(
  run: DirHandle,
  location: RunNames,
  record: IngestRecord,
  entry: TransitionEntry,
): Promise<{ record: IngestRecord; size: number }> {
  const next = applyTransition(record, entry);
  const text = serializeIngest(next);
  try {
    const meta = await run.openDirectoryAsync(META_DIR);
    try {
      await writeFileAtomicIn(meta, INGEST_FILE, text);
    } finally {
      await meta.closeAsync();
    }
  } catch (error) {
    throw unwritable(location, error as NodeJS.ErrnoException);
  }
  return { record: next, size: Buffer.byteLength(text) };
}

function unwritable(location: RunNames, error: NodeJS.ErrnoException): CleanupError {
  const { runPath } = location;
  const code = error.code ?? 'EIO';
  if (isPermissionError(error)) return permissionDenied(path.join(location.absolutePath, META_DIR), code);
  const details = { error_code: code };
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CleanupError('disk_full', { runPath, code }, { details });
  }
  return new CleanupError('ingest_unwritable', { runPath, code }, { details });
}
