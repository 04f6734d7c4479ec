// THE error table: every code the API answers with, once, with its HTTP
// status, a message template the throw site fills (saying what happened and
// what a person can do), where it points (`field`) and the shape of its
// `details`. Routes list the codes they can answer and their OpenAPI error
// responses are built from these entries. One cohesive table, hence its length.
import { z } from 'zod';
import {
  clearIncompleteDetailsSchema,
  clearInProgressDetailsSchema,
  ingestTooLargeDetailsSchema,
  journalUnavailableDetailsSchema,
  nasCopyMismatchDetailsSchema,
  nasUnreachableDetailsSchema,
  schemaMismatchDetailsSchema,
  stateDetailsSchema,
  surveyFailedDetailsSchema,
  unsyncedFilesDetailsSchema,
  validationDetailsSchema,
  writeFailedDetailsSchema,
} from './errorDetails.ts';

interface ErrorSpec<P> {
  status: number;
  message: (params: P) => string;
  field?: string;
  details?: z.ZodType;
  // Sent as Retry-After: the condition is expected to pass by then.
  retryAfterSeconds?: number;
}

const spec = <P = void>(entry: ErrorSpec<P>): ErrorSpec<P> => entry;
// For codes whose cause is told by the layer that meets it (a read error, a
// malformed field), the template is that sentence.
type Told = { problem: string };
const told = ({ problem }: Told): string => problem;

// Refusals of the cleanup core (service, storage, domain), by status.
const CLEANUP_ERRORS = {
  invalid_run_path: spec<{ why: string }>({
    status: 400,
    field: 'run_path',
    message: ({ why }) => `Invalid run path: ${why}.`,
  }),
  run_not_found: spec<{ runPath: string; why?: string }>({
    status: 404,
    field: 'run_path',
    message: ({ runPath, why = '' }) => `There is no staged run at ${runPath}${why}.`,
  }),
  job_not_found: spec<{ id: string; keptHours: number }>({
    status: 404,
    field: 'id',
    message: ({ id, keptHours }) => `There is no job ${id} (jobs are kept for ${keptHours} hours).`,
  }),
  clear_in_progress: spec<{ runPath: string; holds: string }>({
    status: 409,
    message: ({ runPath, holds }) => `${runPath} ${holds}`,
    details: clearInProgressDetailsSchema,
  }),
  ingest_missing: spec<{ runPath: string }>({
    status: 409,
    message: ({ runPath }) =>
      `${runPath} has no .exlab-wizard/ingest.json: it is not a staged run yet, so nothing was deleted.`,
  }),
  // Also a transition of ingest.json that is not one step forward (told).
  staging_not_sync_verified: spec<{ runPath: string; state: string } | Told>({
    status: 409,
    message: (params) =>
      'problem' in params
        ? params.problem
        : `${params.runPath} is ${params.state}; only a run the NAS copy has been verified for (sync_verified) can be cleared.`,
    details: stateDetailsSchema,
  }),
  unsynced_files: spec<Told>({ status: 409, message: told, details: unsyncedFilesDetailsSchema }),
  nas_copy_mismatch: spec<{ runPath: string; nasDir: string; count: number; mode: string }>({
    status: 409,
    message: ({ runPath, nasDir, count, mode }) =>
      `The NAS copy of ${runPath} at ${nasDir} differs from staging in ${count} file${count === 1 ? '' : 's'} (${mode} check). Nothing was deleted.`,
    details: nasCopyMismatchDetailsSchema,
  }),
  sweep_in_progress: spec({
    status: 409,
    message: () => 'A sweep is already running; its results will be in the journal.',
  }),
  ingest_invalid: spec<Told>({ status: 422, message: told, details: ingestTooLargeDetailsSchema }),
  manifest_invalid: spec<{ runPath: string; problem: string }>({
    status: 422,
    message: ({ runPath, problem }) =>
      `${runPath}: ${problem}. No file can be shown to have reached the NAS, so nothing was deleted.`,
  }),
  schema_major_mismatch: spec<{ found: string; supported: string }>({
    status: 422,
    field: 'schema_version',
    message: ({ found, supported }) => `ingest.json has schema_version ${found}; this service reads ${supported} only`,
    details: schemaMismatchDetailsSchema,
  }),
  clear_incomplete: spec<{ runPath: string; why: string }>({
    status: 500,
    message: ({ runPath, why }) => `${runPath} was only partly cleared: ${why}. Fix the cause and clear again to finish.`,
    details: clearIncompleteDetailsSchema,
  }),
  nas_unreachable: spec<{ runPath: string; why: string }>({
    status: 503,
    message: ({ runPath, why }) => `The NAS copy of ${runPath} cannot be checked: ${why}. Nothing was deleted.`,
    details: nasUnreachableDetailsSchema,
  }),
  survey_failed: spec<{ runPath: string; why: string }>({
    status: 503,
    message: ({ runPath, why }) =>
      `${runPath} could not be surveyed whole (${why}), so what it holds cannot be checked: nothing was deleted. Fix the cause and clear again.`,
    details: surveyFailedDetailsSchema,
  }),
  journal_unavailable: spec<{ directory: string; access: 'read' | 'written'; cause: string }>({
    status: 503,
    message: ({ directory, access, cause }) => `The clear journal in ${directory} cannot be ${access} (${cause}).`,
    details: journalUnavailableDetailsSchema,
  }),
  staging_root_unavailable: spec<Told>({ status: 503, message: told }),
  job_queue_full: spec<{ limit: number }>({
    status: 503,
    retryAfterSeconds: 30,
    message: ({ limit }) =>
      `${limit} jobs are already queued or running (jobs.max_pending); nothing was started. Send the request again once some have finished.`,
  }),
  shutting_down: spec({
    status: 503,
    message: () => 'The service is shutting down; send the request again once it is back.',
  }),
  ingest_unwritable: spec<{ runPath: string; code: string }>({
    status: 503,
    message: ({ runPath, code }) =>
      `ingest.json of ${runPath} cannot be rewritten (${code}), so the clear was not recorded and nothing was deleted.`,
    details: writeFailedDetailsSchema,
  }),
  disk_full: spec<{ runPath: string; code: string }>({
    status: 507,
    message: ({ runPath, code }) =>
      `The staging filesystem is full (${code}): ingest.json of ${runPath} could not record the clear, so nothing was deleted. Free some space and clear again.`,
    details: writeFailedDetailsSchema,
  }),
};

// The HTTP layer's own answers.
const HTTP_ERRORS = {
  validation_error: spec<{ issues: string }>({
    status: 400,
    message: ({ issues }) => `Invalid request: ${issues}`,
    details: validationDetailsSchema,
  }),
  malformed_json: spec<Told>({ status: 400, message: told }),
  bad_request: spec<Told>({ status: 400, message: told }),
  unauthorized: spec<Told>({ status: 401, message: told }),
  forbidden: spec<Told>({ status: 403, message: told }),
  route_not_found: spec<{ method: string; path: string }>({
    status: 404,
    message: ({ method, path }) => `There is no route ${method} ${path}; see /docs for the API.`,
  }),
  request_timeout: spec<Told>({ status: 408, message: told }),
  payload_too_large: spec<Told>({ status: 413, message: told }),
  uri_too_long: spec<Told>({ status: 414, message: told }),
  unsupported_media_type: spec<Told>({ status: 415, message: told }),
  headers_too_large: spec<Told>({ status: 431, message: told }),
  event_clients_full: spec<{ limit: number }>({
    status: 503,
    retryAfterSeconds: 30,
    message: ({ limit }) =>
      `${limit} event-stream clients are connected already (events.max_clients); connect again later.`,
  }),
  internal_error: spec<{ traceId?: string }>({
    status: 500,
    message: ({ traceId }) =>
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
