// The Wizard's error envelope, for every error the API gives, Fastify's own
// included: {"error": {code, message, field?, details?, trace_id}}. Server
// faults are masked (the log keeps them); no stack ever reaches a client.
// Statuses and messages come from the error table (domain/errorTable.ts).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERROR_TABLE, statusOf, type ErrorCode, type ErrorParams } from '../domain/errorTable.ts';
import { isCleanupError, toErrorBody, type ErrorBody } from '../domain/errors.ts';
import { noteAnswer } from './errorResponses.ts';
import { TRACE_HEADER } from './traceId.ts';

export function sendError(request: FastifyRequest, reply: FastifyReply, body: ErrorBody): FastifyReply {
  noteAnswer(request, body.code);
  const envelope = { error: { ...body, trace_id: request.id } };
  // Also for errors met before the hooks that echo it (a bad URL).
  reply.header(TRACE_HEADER, request.id);
  if (body.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="staging-cleanup"');
  const { retryAfterSeconds } = ERROR_TABLE[body.code];
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
  // Sent as text so that a route's documented error schema never rejects it.
  return reply.code(statusOf(body.code)).type('application/json; charset=utf-8').send(JSON.stringify(envelope));
}

// The codes whose message is the problem as told by whoever met it.
type ToldCode = { [C in ErrorCode]: ErrorParams<C> extends { problem: string } ? C : never }[ErrorCode];

export const told = (code: ToldCode, problem: string): ErrorBody => ({
  code,
  message: (ERROR_TABLE[code].message as (params: { problem: string }) => string)({ problem }),
});

// Fastify's own errors, by code: what they mean to a client.
const FASTIFY_ERRORS: Record<string, ErrorBody> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: told('unsupported_media_type', 'Send the body as application/json.'),
  FST_ERR_CTP_BODY_TOO_LARGE: told('payload_too_large', 'The request body is too large.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: told(
    'malformed_json',
    'The body is empty but Content-Type says JSON; send a JSON body or no Content-Type.',
  ),
  FST_ERR_CTP_INVALID_JSON_BODY: told('malformed_json', 'The body is not valid JSON.'),
  FST_ERR_BAD_URL: told('bad_request', 'The URL is not validly percent-encoded.'),
  FST_ERR_MAX_PARAM_LENGTH: told('uri_too_long', 'A path parameter of the URL is too long.'),
};

// Errors Fastify meets before routing (a URL that is not valid, a parameter
// too long), which never reach the error handler.
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(request, reply, FASTIFY_ERRORS[error.code] ?? told('bad_request', error.message));
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isCleanupError(error)) {
      // A known condition of the server's side (a folder it may not write, a
      // journal it cannot reach) is logged as a warning with its code, no
      // stack; a refusal for want of capacity (with Retry-After) only by the
      // request's own lines.
      const { status, retryAfterSeconds } = ERROR_TABLE[error.code];
      if (status >= 500 && retryAfterSeconds === undefined) {
        request.log.warn({ code: error.code, details: error.details }, error.message);
      }
      return sendError(request, reply, toErrorBody(error));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((issue) => ({
        field: fieldOf(error.validationContext, issue.instancePath),
        message: issue.message,
      }));
      const first = issues[0];
      return sendError(request, reply, {
        code: 'validation_error',
        message: ERROR_TABLE.validation_error.message({
          issues: issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
        }),
        ...(first ? { field: first.field } : {}),
        details: { issues },
      });
    }
    const known = FASTIFY_ERRORS[error.code] ?? (error instanceof SyntaxError ? FASTIFY_ERRORS.FST_ERR_CTP_INVALID_JSON_BODY : undefined);
    if (known) return sendError(request, reply, known);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(request, reply, told('bad_request', error.message));
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendError(request, reply, toErrorBody(error, request.id));
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, {
      code: 'route_not_found',
      message: ERROR_TABLE.route_not_found.message({ method: request.method, path: request.url.split('?')[0] ?? '' }),
    }),
  );
}

function fieldOf(context: string | undefined, instancePath: string): string {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  const where = context === 'querystring' ? 'query' : (context ?? 'request');
  return path ? `${where}.${path}` : where;
}
