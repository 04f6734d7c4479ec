// The Wizard's error envelope, for every error the API gives, Fastify's own
// included: {"error": {code, message, field?, details?, trace_id}}. Server
// faults are masked (the log keeps them); no stack ever reaches a client.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isCleanupError } from '../domain/errors.ts';
import { clearInProgressDetailsSchema } from '../service/lockBusy.ts';
import { statusOf, type ErrorCode } from './errorCatalog.ts';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

export function sendError(request: FastifyRequest, reply: FastifyReply, body: ErrorBody): FastifyReply {
  const status = statusOf(body.code);
  const envelope = { error: { ...body, trace_id: request.id } };
  if (body.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="staging-cleanup"');
  // Sent as text so that a route's documented error schema never rejects it.
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(envelope));
}

// Fastify's own errors, by code: what they mean to a client.
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'Send the body as application/json.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: 'The request body is too large.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'malformed_json',
    message: 'The body is empty but Content-Type says JSON; send a JSON body or no Content-Type.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed_json', message: 'The body is not valid JSON.' },
  FST_ERR_BAD_URL: { code: 'bad_request', message: 'The URL is not validly percent-encoded.' },
};

// Errors Fastify meets before routing (a URL that is not valid), which never
// reach the error handler.
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(request, reply, FASTIFY_ERRORS[error.code] ?? { code: 'bad_request', message: error.message });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isCleanupError(error)) {
      if (statusOf(error.code) >= 500) request.log.error({ err: error }, error.message);
      return sendError(request, reply, {
        code: error.code,
        message: error.message,
        ...(error.field ? { field: error.field } : {}),
        ...(error.details ? { details: error.details } : {}),
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((issue) => ({
        field: fieldOf(error.validationContext, issue.instancePath),
        message: issue.message,
      }));
      const first = issues[0];
      return sendError(request, reply, {
        code: 'validation_error',
        message: `Invalid request: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}`,
        ...(first ? { field: first.field } : {}),
        details: { issues },
      });
    }
    const known = FASTIFY_ERRORS[error.code] ?? (error instanceof SyntaxError ? FASTIFY_ERRORS.FST_ERR_CTP_INVALID_JSON_BODY : undefined);
    if (known) return sendError(request, reply, known);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(request, reply, { code: 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendError(request, reply, {
      code: 'internal_error',
      message: `An unexpected error occurred; the service log has the details under trace id ${request.id}.`,
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, {
      code: 'route_not_found',
      message: `There is no route ${request.method} ${request.url.split('?')[0]}; see /docs for the API.`,
    }),
  );
}

function fieldOf(context: string | undefined, instancePath: string): string {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  const where = context === 'querystring' ? 'query' : (context ?? 'request');
  return path ? `${where}.${path}` : where;
}

// The codes whose details have a documented shape; others' are free-form.
const DETAILS: Partial<Record<ErrorCode, z.ZodType>> = { clear_in_progress: clearInProgressDetailsSchema };

function detailsOf(group: ErrorCode[]): z.ZodType {
  const free = z.record(z.string(), z.unknown());
  const shaped = group.filter((code) => DETAILS[code]);
  if (shaped.length === 0) return free;
  return z
    .union([...shaped.map((code) => DETAILS[code] ?? free), free])
    .describe(`Details of ${shaped.join(', ')} as documented; of other codes, free-form.`);
}

// The documented error answers of a route, one schema per status, listing
// the codes the route can give with that status.
export function errorResponses(...codes: ErrorCode[]): Record<number, z.ZodType> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      status,
      z
        .object({
          error: z.object({
            code: z.enum(group as [ErrorCode, ...ErrorCode[]]),
            message: z.string(),
            field: z.string().optional(),
            details: detailsOf(group).optional(),
            trace_id: z.string(),
          }),
        })
        .describe(`Error: ${group.join(', ')}`),
    ]),
  );
}
