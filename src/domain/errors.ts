// The refusals of the cleanup core as values: a CleanupError names a code of
// the error table (errorTable.ts) and fills its message template. `toErrorBody`
// is the one converter from any error to what a client is shown.
import {
  CLEANUP_ERROR_CODES,
  ERROR_TABLE,
  OUTCOME_ERROR_CODES,
  type CleanupErrorCode,
  type ErrorDetails,
  type ErrorParams,
  type OutcomeErrorCode,
} from './errorTable.ts';

export { CLEANUP_ERROR_CODES, OUTCOME_ERROR_CODES, type CleanupErrorCode, type OutcomeErrorCode };

interface CleanupErrorInit<C extends CleanupErrorCode> {
  // Overrides the table's field, for codes that point at a field of a file.
  field?: string;
  // Shaped as the table's details schema of the code says.
  details?: ErrorDetails<C>;
}

type ErrorArgs<C extends CleanupErrorCode> =
  ErrorParams<C> extends void ? [init?: CleanupErrorInit<C>] : [params: ErrorParams<C>, init?: CleanupErrorInit<C>];

export class CleanupError extends Error {
  readonly code: CleanupErrorCode;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(...[code, ...args]: { [C in CleanupErrorCode]: [code: C, ...args: ErrorArgs<C>] }[CleanupErrorCode]) {
    const entry = ERROR_TABLE[code] as { message: (params: unknown) => string; field?: string };
    const takesParams = entry.message.length > 0;
    const params = takesParams ? args[0] : undefined;
    const init = ((takesParams ? args[1] : args[0]) ?? {}) as CleanupErrorInit<CleanupErrorCode>;
    super(entry.message(params));
    this.name = 'CleanupError';
    this.code = code;
    this.field = init.field ?? entry.field;
    this.details = init.details as Record<string, unknown> | undefined;
  }
}

export function isCleanupError(error: unknown): error is CleanupError {
  return error instanceof CleanupError;
}

// What a client is shown of an error.
export interface ErrorBody<C extends string = OutcomeErrorCode> {
  code: C;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

// Any error as the client sees it: a refusal as it is, anything else masked
// as internal_error (the log keeps it), pointing at the trace id when known.
export function toErrorBody(error: unknown, traceId?: string): ErrorBody {
  if (!isCleanupError(error)) {
    return { code: 'internal_error', message: ERROR_TABLE.internal_error.message(traceId ? { traceId } : {}) };
  }
  return {
    code: error.code,
    message: error.message,
    ...(error.field ? { field: error.field } : {}),
    ...(error.details ? { details: error.details } : {}),
  };
}
