// THE error table: every code the API answers with, once, with its HTTP
// status, a message template the throw site fills (saying what happened and
// what a person can do), where it points (`field`) and the shape of its
// `details`. Routes list the codes they can answer and their OpenAPI error
// responses are built from these entries. One cohesive table, hence its length.
import { z } from 'zod';
import {
  clearIncompleteDetailsSchema,
  clearInProgressDetailsSchema,
  inconsistentDetailsSchema,
  ingestTooLargeDetailsSchema,
  journalUnavailableDetailsSchema,
  nasCopyMismatchDetailsSchema,
  nasUnreachableDetailsSchema,
  permissionDeniedDetailsSchema,
  schemaMismatchDetailsSchema,
  stateDetailsSchema,
  surveyFailedDetailsSchema,
  unsyncedFilesDetailsSchema,
  validationDetailsSchema,
  verifiedInFutureDetailsSchema,
  writeFailedDetailsSchema,
} from './errorDetails.ts';

interface ErrorSpec<P, D extends z.ZodType | undefined> {
  status: number;
  message: (params: P) => string;
  field?: string;
  details?: D;
  // Sent as Retry-After: the condition is expected to pass by then.
  retryAfterSeconds?: number;
}

// P (what the template takes) and D (the details' schema) are inferred from
// the entry, so that a throw site is checked against both.
const spec = <P = void, D extends z.ZodType | undefined = undefined>(entry: ErrorSpec<P, D>): ErrorSpec<P, D> => entry;
// For codes whose cause is told by the layer that meets it (a read error, a
// malformed field), the template is that sentence.
type Told = { problem: string };
const told = ({ problem }: Told): string => problem;

// Refusals of the cleanup core (service, storage, domain), by status.
const CLEANUP_ERRORS = {
  invalid_run_path: spec({
    status: 400,
    field: 'run_path',
    message: ({ why }: { why: string }) => `Invalid run path: ${why}.`,
  }),
  run_not_found: spec({
    status: 404,
    field: 'run_path',
    message: ({ runPath, why = '' }: { runPath: string; why?: string }) => `There is no staged run at ${runPath}${why}.`,
  }),
  job_not_found: spec({
    status: 404,
    field: 'id',
    message: ({ id, keptHours }: { id: string; keptHours: number }) => `There is no job ${id} (jobs are kept for ${keptHours} hours).`,
  }),
  clear_in_progress: spec({
    status: 409,
    message: ({ runPath, holds }: { runPath: string; holds: string }) => `${runPath} ${holds}`,
    details: clearInProgressDetailsSchema,
  }),
  ingest_missing: spec({
    status: 409,
    message: ({ runPath }: { runPath: string }) =>
      `${runPath} has no .exlab-wizard/ingest.json: it is not a staged run yet, so nothing was deleted.`,
  }),
  // Also a transition of ingest.json that is not one step forward (told).
  staging_not_sync_verified: spec({
    status: 409,
    message: (params: { runPath: string; state: string } | Told) =>
      'problem' in params
        ? params.problem
        : `${params.runPath} is ${params.state}; only a run the NAS copy has been verified for (sync_verified) can be cleared.`,
    details: stateDetailsSchema,
  }),
  // A record that cannot be believed (recordTrust.ts).
  ingest_inconsistent: spec({
    status: 422,
    message: ({ problem }: { problem: string }) =>
      `ingest.json contradicts itself: ${problem}. It cannot say whether the NAS copy was verified, so nothing was deleted; ` +
      'have the orchestrator correct the record (current_state is the state of the latest history entry), then clear again.',
    details: inconsistentDetailsSchema,
  }),
  verified_in_future: spec({
    status: 409,
    message: ({ verifiedAt, now, toleranceSeconds }: { verifiedAt: string; now: string; toleranceSeconds: number }) =>
      `The run's sync_verified time ${verifiedAt} is later than this service's clock (${now}) by more than ` +
      `verify_before_clear.mtime_tolerance_seconds (${toleranceSeconds} s), so no file can be shown to predate the verification ` +
      'and nothing was deleted. Check the clocks of the host that verified the run and of this one, or correct ingest.json; ' +
      'the run clears normally once that time has passed.',
    details: verifiedInFutureDetailsSchema,
  }),
  unsynced_files: spec({
    status: 409,
    message: ({ runPath, count, shown }: { runPath: string; count: number; shown: readonly string[] }) =>
      `${runPath} has ${count} file${count === 1 ? '' : 's'} that never reached the NAS ` +
      `(not in the checksum manifest, changed after verification, or with neither to check against): ` +
      `${shown.slice(0, 3).join(', ')}${count > 3 ? ` and ${count - 3} more` : ''}. Nothing was deleted; ` +
      'sync the run again or remove those files.',
    details: unsyncedFilesDetailsSchema,
  }),
  nas_copy_mismatch: spec({
    status: 409,
    message: ({ runPath, nasDir, count, mode }: { runPath: string; nasDir: string; count: number; mode: string }) =>
      `The NAS copy of ${runPath} at ${nasDir} differs from staging in ${count} file${count === 1 ? '' : 's'} (${mode} check). Nothing was deleted.`,
    details: nasCopyMismatchDetailsSchema,
  }),
  sweep_in_progress: spec({
    status: 409,
    message: () => 'A sweep is already running; its results will be in the journal.',
  }),
  pressure_not_configured: spec({
    status: 409,
    message: () =>
      'No disk-pressure policy is configured, so nothing is cleared to make room: set pressure.high_water_percent and ' +
      'pressure.target_percent (see "Keeping the disk from filling" in the README).',
  }),
  ingest_invalid: spec({ status: 422, message: told, details: ingestTooLargeDetailsSchema }),
  manifest_invalid: spec({
    status: 422,
    message: ({ runPath, problem }: { runPath: string; problem: string }) =>
      `${runPath}: ${problem}. No file can be shown to have reached the NAS, so nothing was deleted.`,
  }),
  schema_major_mismatch: spec({
    status: 422,
    field: 'schema_version',
    message: ({ found, supported }: { found: string; supported: string }) => `ingest.json has schema_version ${found}; this service reads ${supported} only`,
    details: schemaMismatchDetailsSchema,
  }),
  clear_incomplete: spec({
    status: 500,
    message: ({ runPath, why }: { runPath: string; why: string }) => `${runPath} was only partly cleared: ${why}. Fix the cause and clear again to finish.`,
    details: clearIncompleteDetailsSchema,
  }),
  nas_unreachable: spec({
    status: 503,
    message: ({ runPath, why }: { runPath: string; why: string }) => `The NAS copy of ${runPath} cannot be checked: ${why}. Nothing was deleted.`,
    details: nasUnreachableDetailsSchema,
  }),
  survey_failed: spec({
    status: 503,
    message: ({ runPath, why }: { runPath: string; why: string }) =>
      `${runPath} could not be surveyed whole (${why}), so what it holds cannot be checked: nothing was deleted. Fix the cause and clear again.`,
    details: surveyFailedDetailsSchema,
  }),
  journal_unavailable: spec({
    status: 503,
    message: ({ directory, access, cause }: { directory: string; access: 'read' | 'written'; cause: string }) => `The clear journal in ${directory} cannot be ${access} (${cause}).`,
    details: journalUnavailableDetailsSchema,
  }),
  staging_root_unavailable: spec({
    status: 503,
    message: ({ why }: { why: string }) => `The staging root is unavailable: ${why}. Nothing was read or deleted.`,
  }),
  job_queue_full: spec({
    status: 503,
    retryAfterSeconds: 30,
    message: ({ limit }: { limit: number }) =>
      `${limit} jobs are already queued or running (jobs.max_pending); nothing was started. Send the request again once some have finished.`,
  }),
  shutting_down: spec({
    status: 503,
    message: () => 'The service is shutting down; send the request again once it is back.',
  }),
  staging_permission_denied: spec({
    status: 503,
    message: ({ path, code, uid, gid }: { path: string; code: string; uid: number; gid: number }) =>
      `This service (uid ${uid}, gid ${gid}) may not create or remove entries in ${path} (${code}), so nothing was deleted. ` +
      `Give that user write access to the staging tree, or run the service as the user that owns it.`,
    details: permissionDeniedDetailsSchema,
  }),
  ingest_unwritable: spec({
    status: 503,
    message: ({ runPath, code }: { runPath: string; code: string }) =>
      `ingest.json of ${runPath} cannot be rewritten (${code}), so the clear was not recorded and nothing was deleted.`,
    details: writeFailedDetailsSchema,
  }),
  disk_full: spec({
    status: 507,
    message: ({ runPath, code }: { runPath: string; code: string }) =>
      `The staging filesystem is full (${code}): ingest.json of ${runPath} could not record the clear, so nothing was deleted. Free some space and clear again.`,
    details: writeFailedDetailsSchema,
  }),
};

// The HTTP layer's own answers.
const HTTP_ERRORS = {
  validation_error: spec({
    status: 400,
    message: ({ issues }: { issues: string }) => `Invalid request: ${issues}`,
    details: validationDetailsSchema,
  }),
  malformed_json: spec({ status: 400, message: told }),
  bad_request: spec({ status: 400, message: told }),
  unauthorized: spec({ status: 401, message: told }),
  forbidden: spec({ status: 403, message: told }),
  // A page on another origin must not change anything through a browser.
  origin_not_allowed: spec({
    status: 403,
    message: ({ page }: { page: string }) =>
      `Requests that change something are not taken from ${page}: only this service's own page and the origins listed in cors_origins may send them.`,
  }),
  route_not_found: spec({
    status: 404,
    message: ({ method, path }: { method: string; path: string }) => `There is no route ${method} ${path}; see /docs for the API.`,
  }),
  method_not_allowed: spec({
    status: 405,
    message: ({ method, allow }: { method: string; allow: string }) => `This path does not take ${method}; it takes ${allow} (see /docs).`,
  }),
  request_timeout: spec({ status: 408, message: told }),
  payload_too_large: spec({ status: 413, message: told }),
  uri_too_long: spec({ status: 414, message: told }),
  // Against DNS rebinding: a name this service was not configured for.
  host_not_allowed: spec({
    status: 421,
    message: ({ host }: { host: string }) =>
      `This service does not answer to Host ${host}: call it by a name it is configured for (loopback, its listen address, allowed_hosts).`,
  }),
  unsupported_media_type: spec({ status: 415, message: told }),
  unsupported_content_encoding: spec({
    status: 415,
    field: 'headers.content-encoding',
    message: ({ encoding }: { encoding: string }) =>
      `The body is sent with Content-Encoding ${encoding}, which this service does not decode; send it uncompressed.`,
  }),
  headers_too_large: spec({ status: 431, message: told }),
  event_clients_full: spec({
    status: 503,
    retryAfterSeconds: 30,
    message: ({ limit }: { limit: number }) =>
      `${limit} event-stream clients are connected already (events.max_clients); connect again later.`,
  }),
  internal_error: spec({
    status: 500,
    message: ({ traceId }: { traceId?: string }) =>
      traceId
        ? `An unexpected error occurred; the service log has the details under trace id ${traceId}.`
        : 'An unexpected error occurred; see the service log.',
  }),
};

export const ERROR_TABLE = { ...CLEANUP_ERRORS, ...HTTP_ERRORS };

type Table = typeof ERROR_TABLE;
export type ErrorCode = keyof Table;
export type CleanupErrorCode = keyof typeof CLEANUP_ERRORS;
export type ErrorParams<C extends ErrorCode> = Parameters<Table[C]['message']>[0];
// What a code's `details` must hold (never, for a code that carries none).
export type ErrorDetails<C extends ErrorCode> = Table[C] extends { details?: infer D }
  ? D extends z.ZodType
    ? z.input<D>
    : never
  : never;

const ALL_ERROR_CODES = Object.keys(ERROR_TABLE) as ErrorCode[];
export const CLEANUP_ERROR_CODES = Object.keys(CLEANUP_ERRORS) as CleanupErrorCode[];

export function statusOf(code: ErrorCode): number {
  return ERROR_TABLE[code].status;
}

// The documented shape of `details` for any of `codes` (table order), or
// undefined when none of them carries details.
export function detailsSchemaFor(codes: readonly ErrorCode[]): z.ZodType | undefined {
  const shaped = ALL_ERROR_CODES.filter((code) => codes.includes(code) && ERROR_TABLE[code].details);
  const schemas = [...new Set(shaped.map((code) => ERROR_TABLE[code].details as z.ZodType))];
  const [first, ...rest] = schemas;
  if (!first) return undefined;
  const described = `Details of ${shaped.join(', ')}.`;
  return rest.length === 0 ? first.describe(described) : z.union([first, ...rest]).describe(described);
}
