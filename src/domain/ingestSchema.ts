// The ingest.json schema (1.x, as the ExLab Wizard orchestrator writes it) with the
// Wizard's reader policy: any 1.x is read, unknown fields are kept,
// another major is refused rather than parsed across.
import { z } from 'zod';
import { CleanupError } from './errors.ts';
import { LIFECYCLE_STATES } from './lifecycle.ts';

const SUPPORTED_MAJOR = 1;
export const WRITER_SCHEMA_VERSION = '1.1';

export const RUN_KINDS = ['experimental', 'test'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const historyEntrySchema = z.looseObject({
  state: z.enum(LIFECYCLE_STATES),
  at: z.string().optional(),
  host: z.string().optional(),
  nas_path: z.string().optional(),
});

// `transport` predates nothing we rely on, so a record without it (older
// writers) is still read; every other field is required in every 1.x.
const ingestSchema = z.looseObject({
  schema_version: z.string(),
  project_name: z.string(),
  equipment_id: z.string(),
  run_path: z.string(),
  run_kind: z.enum(RUN_KINDS),
  transport: z.enum(['smb_mount', 'file_transfer']).optional(),
  current_state: z.enum(LIFECYCLE_STATES),
  history: z.array(historyEntrySchema),
});

export type IngestView = z.infer<typeof ingestSchema>;
export type HistoryEntry = z.infer<typeof historyEntrySchema>;
export type JsonObject = Record<string, unknown>;

const SCHEMA_VERSION = /^(\d+)\.(\d+)$/;

// A run moves through five states; a history far longer than any writer
// makes is not a lifecycle record, and validating it would stall the service.
const MAX_HISTORY_ENTRIES = 10_000;

export function validateIngest(raw: unknown): IngestView {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid('ingest.json is not a JSON object', undefined);
  }
  const version = (raw as JsonObject).schema_version;
  const match = typeof version === 'string' ? SCHEMA_VERSION.exec(version) : null;
  if (!match) {
    throw invalid('schema_version must be a string "MAJOR.MINOR"', 'schema_version');
  }
  if (Number(match[1]) !== SUPPORTED_MAJOR) {
    throw new CleanupError(
      'schema_major_mismatch',
      { found: String(version), supported: `${SUPPORTED_MAJOR}.x` },
      { details: { expected: `${SUPPORTED_MAJOR}.x`, found: version } },
    );
  }
  const history = (raw as JsonObject).history;
  if (Array.isArray(history) && history.length > MAX_HISTORY_ENTRIES) {
    throw invalid(`ingest.json history has ${history.length} entries, over the cap of ${MAX_HISTORY_ENTRIES}`, 'history');
  }
  const parsed = ingestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || undefined;
    throw invalid(`ingest.json field ${field ?? '(root)'} is invalid: ${issue?.message ?? 'unknown'}`, field);
  }
  return parsed.data;
}

function invalid(message: string, field: string | undefined): CleanupError {
  return new CleanupError('ingest_invalid', { problem: message }, field === undefined ? {} : { field });
}
