// An ingest.json as read (the raw JSON, kept for writing back unchanged) and
// as understood (the validated view); transitions produce the next raw record.
import { CleanupError } from './errors.ts';
import {
  validateIngest,
  WRITER_SCHEMA_VERSION,
  type IngestView,
  type JsonObject,
} from './ingestSchema.ts';
import { canTransition, type LifecycleState } from './lifecycle.ts';

export interface IngestRecord {
  readonly raw: JsonObject;
  readonly view: IngestView;
}

export function parseIngestText(text: string): IngestRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CleanupError('ingest_invalid', { problem: `ingest.json is not valid JSON: ${(error as Error).message}` });
  }
  if (nestedDeeperThan(raw, MAX_INGEST_DEPTH)) {
    throw new CleanupError('ingest_invalid', { problem: `ingest.json is nested deeper than ${MAX_INGEST_DEPTH} levels.` });
  }
  const view = validateIngest(raw);
  return { raw: raw as JsonObject, view };
}

// Far deeper than any record the Wizard writes; a deeper one could not be
// copied or written back (the call stack would run out).
export const MAX_INGEST_DEPTH = 64;

function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [current, depth] = item;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}

export interface TransitionEntry {
  state: LifecycleState;
  at: string;
  host: string;
  [extra: string]: unknown;
}

// Appends one history entry and mirrors it in current_state. Every field the
// writer does not know is carried over as it was; the version becomes ours.
export function applyTransition(record: IngestRecord, entry: TransitionEntry): IngestRecord {
  const from = record.view.current_state;
  if (!canTransition(from, entry.state)) {
    throw new CleanupError(
      'staging_not_sync_verified',
      { problem: `cannot move a run from ${from} to ${entry.state}: transitions go forward one step` },
      { details: { current_state: from, requested_state: entry.state } },
    );
  }
  const raw = structuredClone(record.raw);
  raw.schema_version = WRITER_SCHEMA_VERSION;
  raw.current_state = entry.state;
  raw.history = [...(raw.history as unknown[]), { ...entry }];
  return { raw, view: validateIngest(raw) };
}

export function serializeIngest(record: IngestRecord): string {
  return `${JSON.stringify(record.raw, null, 2)}\n`;
}
