// What a clear leaves behind: its journal record (and the log line with the
// same facts), or, when something could not be deleted, the clear_incomplete
// refusal that says what is left.
import type { ClearRecord } from '../domain/clearRecord.ts';
import { CleanupError, toErrorBody, type OutcomeErrorCode } from '../domain/errors.ts';
import type { IngestRecord } from '../domain/ingestRecord.ts';
import { latestVerification, verifiedAt } from '../domain/verification.ts';
import { originOf } from '../domain/runOrigin.ts';
import type { RunLocation } from '../domain/runPath.ts';
import { formatTimestamp } from '../domain/timestamps.ts';
import type { DeleteOutcome } from '../storage/engine/deleteTally.ts';
import type { LogSink } from './clearOptions.ts';

// The staging volume's usage (percent) around a clear made to free room.
export interface VolumeUsageChange {
  before: number;
  after: number;
}

// A journal line is at most 64 KiB (journalLines.ts): the strings that come
// from ingest.json, whoever wrote it, are kept to a length that fits.
const MAX_RECORDED_CHARS = 4096;
const clipped = (text: string): string =>
  text.length > MAX_RECORDED_CHARS ? `${text.slice(0, MAX_RECORDED_CHARS - 1)}…` : text;

export function clearRecordOf(
  location: RunLocation,
  record: IngestRecord,
  hostLabel: string,
  actor: string,
  deleted: DeleteOutcome,
  facts: { clearedAt: string; durationMs: number; resumed: boolean; complete: boolean; usage?: VolumeUsageChange },
): ClearRecord {
  const { view } = record;
  const verified = verifiedAt(view);
  const nasPath = latestVerification(view)?.nas_path;
  return {
    run_path: location.runPath,
    equipment_id: originOf(location).equipment_id,
    project_name: clipped(view.project_name),
    run_kind: location.runKind,
    nas_path: nasPath === undefined || nasPath === null ? null : clipped(nasPath),
    verified_at: verified ? formatTimestamp(verified) : null,
    cleared_at: facts.clearedAt,
    host: hostLabel,
    actor,
    files_freed: deleted.files,
    bytes_freed: deleted.bytes,
    duration_ms: facts.durationMs,
    outcome: facts.complete ? 'cleared' : 'clear_incomplete',
    resumed: facts.resumed,
    ...(facts.usage
      ? { volume_usage_before_percent: facts.usage.before, volume_usage_after_percent: facts.usage.after }
      : {}),
  };
}

// The journal is the record of what was deleted; the log line carries the
// same facts, and is all that is left if the journal write itself fails.
// Answers whether the journal took the record.
export async function keepRecord(
  writer: { append(record: ClearRecord): Promise<void> },
  record: ClearRecord,
  logger: LogSink,
): Promise<boolean> {
  let written = true;
  try {
    await writer.append(record);
  } catch (error) {
    written = false;
    logger.error({ err: error, ...record }, 'journal write failed after a clear; the log keeps the record');
  }
  logger.info(record, record.outcome === 'cleared' ? 'run cleared' : 'run partly cleared');
  return written;
}

export function incomplete(location: RunLocation, deleted: DeleteOutcome, compromised: boolean): CleanupError {
  const why = compromised
    ? 'the run lock was lost (another process may have taken it over), so the clear stopped'
    : `${deleted.leftCount} entr${deleted.leftCount === 1 ? 'y' : 'ies'} could not be removed`;
  return new CleanupError(
    'clear_incomplete',
    { runPath: location.runPath, why },
    {
      details: {
        files_freed: deleted.files,
        bytes_freed: deleted.bytes,
        left: deleted.left,
        left_count: deleted.leftCount,
      },
    },
  );
}

export function codeAndMessage(error: unknown): { code: OutcomeErrorCode; message: string } {
  const { code, message } = toErrorBody(error);
  return { code, message };
}
