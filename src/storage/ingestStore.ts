// Reads and rewrites a run's ingest.json: never through a link, always
// atomically, keeping every field this service does not know.
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import { CleanupError } from '../domain/errors.ts';
import {
  applyTransition,
  parseIngestText,
  serializeIngest,
  type IngestRecord,
  type TransitionEntry,
} from '../domain/ingestRecord.ts';
import { writeFileAtomic } from './atomicWrite.ts';
import { stampOf, type FileStamp } from './fileStamp.ts';
import { ingestPathOf, META_DIR } from './runLayout.ts';

export interface IngestFile {
  record: IngestRecord;
  stamp: FileStamp;
}

// The record, or null when the run has no ingest.json (not yet staged).
export async function readIngest(runDir: string): Promise<IngestFile | null> {
  const metaStat = await fs.lstat(`${runDir}/${META_DIR}`).catch(missingAsNull);
  if (metaStat === null) return null;
  if (!metaStat.isDirectory()) {
    throw new CleanupError('ingest_invalid', `${META_DIR} is not a directory (links are never followed).`);
  }
  let handle;
  try {
    handle = await fs.open(ingestPathOf(runDir), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    const why = code === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${code ?? 'unknown error'})`;
    throw new CleanupError('ingest_invalid', `ingest.json ${why}.`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new CleanupError('ingest_invalid', 'ingest.json is not a regular file.');
    const text = await handle.readFile('utf8');
    return { record: parseIngestText(text), stamp: stampOf(stat) };
  } catch (error) {
    if (error instanceof CleanupError) throw error;
    throw new CleanupError('ingest_invalid', `ingest.json cannot be read: ${(error as Error).message}`);
  } finally {
    await handle.close();
  }
}

// The caller holds the run's lock; the transition is checked by the domain.
// A write that fails leaves ingest.json as it was (atomic write).
export async function appendTransition(
  runDir: string,
  record: IngestRecord,
  entry: TransitionEntry,
): Promise<IngestRecord> {
  const next = applyTransition(record, entry);
  try {
    await writeFileAtomic(ingestPathOf(runDir), serializeIngest(next));
  } catch (error) {
    throw unwritable(runDir, error as NodeJS.ErrnoException);
  }
  return next;
}

function unwritable(runDir: string, error: NodeJS.ErrnoException): CleanupError {
  const code = error.code ?? 'EIO';
  const details = { error_code: code };
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new CleanupError(
      'disk_full',
      `The staging filesystem is full (${code}): ingest.json of ${runDir} could not record the clear, so nothing was deleted. Free some space and clear again.`,
      { details },
    );
  }
  return new CleanupError(
    'ingest_unwritable',
    `ingest.json of ${runDir} cannot be rewritten (${code}), so the clear was not recorded and nothing was deleted.`,
    { details },
  );
}

function missingAsNull(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
  throw new CleanupError('ingest_invalid', `${META_DIR} cannot be read (${error.code ?? error.message}).`);
}
