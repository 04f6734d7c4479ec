// Every refusal the cleanup core can give, by its public code (DESIGN §3-§5).
// Clients branch on these codes; the HTTP layer maps each one to a status.
export const CLEANUP_ERROR_CODES = [
  'invalid_run_path',
  'run_not_found',
  'ingest_missing',
  'ingest_invalid',
  'schema_major_mismatch',
  'staging_not_sync_verified',
  'clear_in_progress',
  'clear_incomplete',
  'unsynced_files',
  'manifest_invalid',
  'survey_failed',
  'nas_copy_mismatch',
  'nas_unreachable',
  'journal_unavailable',
  'staging_root_unavailable',
  'sweep_in_progress',
  'shutting_down',
  'job_not_found',
  'disk_full',
  'ingest_unwritable',
] as const;

export type CleanupErrorCode = (typeof CLEANUP_ERROR_CODES)[number];

export interface CleanupErrorInit {
  field?: string;
  details?: Record<string, unknown>;
}

export class CleanupError extends Error {
  readonly code: CleanupErrorCode;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: CleanupErrorCode, message: string, init: CleanupErrorInit = {}) {
    super(message);
    this.name = 'CleanupError';
    this.code = code;
    this.field = init.field;
    this.details = init.details;
  }
}

export function isCleanupError(error: unknown): error is CleanupError {
  return error instanceof CleanupError;
}
