// How the API answers errors: the codes only the HTTP layer answers (a
// request it cannot take, a caller it does not let in), with their message
// templates, and, for every code the API answers with, the domain's refusals
// included, its HTTP status and Retry-After. The OpenAPI error responses of
// every route are built from these (documentedErrors.ts).
import { z } from 'zod';
import { ERROR_TABLE, detailsSchemaIn, spec, toldProblem, type ParamsOf } from '../domain/errorTable.ts';
import type { ErrorBody } from '../domain/errors.ts';

export const validationDetailsSchema = z
  .strictObject({ issues: z.array(z.strictObject({ field: z.string(), message: z.string() })) })
  .meta({ id: 'ValidationDetails' });

const HTTP_ERRORS = {
  validation_error: spec({
    message: ({ issues }: { issues: string }) => `Invalid request: ${issues}`,
    details: validationDetailsSchema,
  }),
  malformed_json: spec({ message: toldProblem }),
  bad_request: spec({ message: toldProblem }),
  unauthorized: spec({ message: toldProblem }),
  forbidden: spec({ message: toldProblem }),
  // A page on another origin must not change anything through a browser.
  origin_not_allowed: spec({
    message: ({ page }: { page: string }) =>
      `Requests that change something are not taken from ${page}: only this service's own page and the origins listed in cors_origins may send them.`,
  }),
  route_not_found: spec({
    message: ({ method, path }: { method: string; path: string }) => `There is no route ${method} ${path}; see /docs for the API.`,
  }),
  method_not_allowed: spec({
    message: ({ method, allow }: { method: string; allow: string }) => `This path does not take ${method}; it takes ${allow} (see /docs).`,
  }),
  request_timeout: spec({ message: toldProblem }),
  payload_too_large: spec({ message: toldProblem }),
  uri_too_long: spec({ message: toldProblem }),
  // Against DNS rebinding: a name this service was not configured for.
  host_not_allowed: spec({
    message: ({ host }: { host: string }) =>
      `This service does not answer to Host ${host}: call it by a name it is configured for (loopback, its listen address, allowed_hosts).`,
  }),
  unsupported_media_type: spec({ message: toldProblem }),
  unsupported_content_encoding: spec({
    field: 'headers.content-encoding',
    message: ({ encoding }: { encoding: string }) =>
      `The body is sent with Content-Encoding ${encoding}, which this service does not decode; send it uncompressed.`,
  }),
  headers_too_large: spec({ message: toldProblem }),
  event_clients_full: spec({
    message: ({ limit }: { limit: number }) =>
      `${limit} event-stream clients are connected already (events.max_clients); connect again later.`,
  }),
};

// Every code the API answers with: the domain's, then the HTTP layer's own.
export const API_ERRORS = { ...ERROR_TABLE, ...HTTP_ERRORS };
type ApiErrors = typeof API_ERRORS;
export type ErrorCode = keyof ApiErrors;
export type ApiErrorBody = ErrorBody<ErrorCode>;

// The status of every code, by status. `satisfies` makes a code missing
// here, or one that is no code, a type error.
const STATUS = {
  invalid_run_path: 400,
  validation_error: 400,
  malformed_json: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  origin_not_allowed: 403,
  run_not_found: 404,
  job_not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  clear_in_progress: 409,
  lock_invalid: 409,
  run_name_too_long: 409,
  ingest_missing: 409,
  staging_not_sync_verified: 409,
  verified_in_future: 409,
  unsynced_files: 409,
  nas_copy_mismatch: 409,
  run_on_other_filesystem: 409,
  sweep_in_progress: 409,
  pressure_not_configured: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  unsupported_content_encoding: 415,
  host_not_allowed: 421,
  ingest_inconsistent: 422,
  missing_verified_timestamp: 422,
  verified_time_unparsable: 422,
  ingest_invalid: 422,
  manifest_invalid: 422,
  schema_major_mismatch: 422,
  headers_too_large: 431,
  internal_error: 500,
  clear_incomplete: 500,
  nas_unreachable: 503,
  survey_failed: 503,
  journal_unavailable: 503,
  staging_root_unavailable: 503,
  job_queue_full: 503,
  shutting_down: 503,
  staging_permission_denied: 503,
  ingest_unwritable: 503,
  event_clients_full: 503,
  disk_full: 507,
} as const satisfies Record<ErrorCode, number>;

// Sent as Retry-After: the condition is expected to pass by then.
const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  job_queue_full: 30,
  event_clients_full: 30,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

export function retryAfterOf(code: ErrorCode): number | undefined {
  return RETRY_AFTER_SECONDS[code];
}

export function detailsSchemaFor(codes: readonly ErrorCode[]): z.ZodType | undefined {
  return detailsSchemaIn(API_ERRORS, codes);
}

// The codes whose message is the problem as told by whoever met it.
type ToldCode = { [C in ErrorCode]: ParamsOf<ApiErrors[C]> extends { problem: string } ? C : never }[ErrorCode];

export const told = (code: ToldCode, problem: string): ApiErrorBody => ({
  code,
  message: (API_ERRORS[code].message as (params: { problem: string }) => string)({ problem }),
});
