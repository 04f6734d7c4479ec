// Every error code the API answers with, and its HTTP status. The cleanup
// codes come from the service (DESIGN §4-§5); the rest are the HTTP layer's.
import type { CleanupErrorCode } from '../domain/errors.ts';

const CLEANUP_STATUS: Record<CleanupErrorCode, number> = {
  invalid_run_path: 400,
  run_not_found: 404,
  job_not_found: 404,
  ingest_missing: 409,
  staging_not_sync_verified: 409,
  clear_in_progress: 409,
  unsynced_files: 409,
  nas_copy_mismatch: 409,
  sweep_in_progress: 409,
  ingest_invalid: 422,
  manifest_invalid: 422,
  schema_major_mismatch: 422,
  clear_incomplete: 500,
  nas_unreachable: 503,
  survey_failed: 503,
  journal_unavailable: 503,
  staging_root_unavailable: 503,
  shutting_down: 503,
  ingest_unwritable: 503,
  disk_full: 507,
};

const HTTP_STATUS = {
  validation_error: 400,
  malformed_json: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  route_not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal_error: 500,
} as const;

export type HttpErrorCode = keyof typeof HTTP_STATUS;
export type ErrorCode = CleanupErrorCode | HttpErrorCode;

const STATUS: Record<ErrorCode, number> = { ...CLEANUP_STATUS, ...HTTP_STATUS };

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

export const ALL_ERROR_CODES = Object.keys(STATUS) as ErrorCode[];
