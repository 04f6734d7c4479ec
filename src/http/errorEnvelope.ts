// The Wizard's error envelope, for every error the API gives, Fastify's own
// included: {"error": {code, message, field?, details?, trace_id}}, with the
// code's status and Retry-After (httpErrors.ts). The error handler that
// answers with it is plugins/errorHandling.ts.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { retryAfterOf, statusOf, told, type ApiErrorBody } from './httpErrors.ts';
import { noteAnswer } from './plugins/documentedErrors.ts';
import { TRACE_HEADER } from './plugins/traceId.ts';

export function sendError(request: FastifyRequest, reply: FastifyReply, body: ApiErrorBody): FastifyReply {
  noteAnswer(request, body.code);
  const envelope = { error: { ...body, trace_id: request.id } };
  // Also for errors met before the hooks that echo it (a bad URL).
  reply.header(TRACE_HEADER, request.id);
  if (body.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="staging-cleanup"');
  const retryAfter = retryAfterOf(body.code);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  // Sent as text so that a route's documented error schema never rejects it.
  return reply.code(statusOf(body.code)).type('application/json; charset=utf-8').send(JSON.stringify(envelope));
}

// Fastify's own errors, by code: what they mean to a client.
export const FASTIFY_ERRORS: Record<string, ApiErrorBody> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: told('unsupported_media_type', 'Send the body as application/json.'),
  FST_ERR_CTP_BODY_TOO_LARGE: told('payload_too_large', 'The request body is too large.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: told(
    'malformed_json',
    'The body is empty but Content-Type says JSON; send a JSON body or no Content-Type.',
  ),
  // Fastify's parser (secure-json-parse) also refuses, alike, a key that
  // could reach Object.prototype.
  FST_ERR_CTP_INVALID_JSON_BODY: told(
    'malformed_json',
    'The body is not valid JSON, or it has a key named __proto__ (or constructor holding prototype), which is refused; send plain JSON.',
  ),
  FST_ERR_BAD_URL: told('bad_request', 'The URL is not validly percent-encoded.'),
  FST_ERR_MAX_PARAM_LENGTH: told('uri_too_long', 'A path parameter of the URL is too long.'),
};

// Errors Fastify meets before routing (a URL that is not valid, a parameter
// too long), which never reach the error handler: a server option.
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(request, reply, FASTIFY_ERRORS[error.code] ?? told('bad_request', error.message));
}
