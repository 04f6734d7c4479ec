// Every error a route or hook throws, and every path no route serves,
// answered in the envelope (errorEnvelope.ts). Server faults are masked (the
// log keeps them); no stack ever reaches a client.
import type { FastifyError } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isCleanupError, toErrorBody } from '../../domain/errors.ts';
import { FASTIFY_ERRORS, sendError } from '../errorEnvelope.ts';
import { API_ERRORS, retryAfterOf, statusOf, told } from '../httpErrors.ts';

export const errorHandling = fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (isCleanupError(error)) {
        // A known condition of the server's side (a folder it may not write, a
        // journal it cannot reach) is logged as a warning with its code, no
        // stack; a refusal for want of capacity (with Retry-After) only by the
        // request's own lines.
        if (statusOf(error.code) >= 500 && retryAfterOf(error.code) === undefined) {
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
          message: API_ERRORS.validation_error.message({
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
        message: API_ERRORS.route_not_found.message({ method: request.method, path: request.url.split('?')[0] ?? '' }),
      }),
    );
  },
  { name: 'error-handling' },
);

function fieldOf(context: string | undefined, instancePath: string): string {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  const where = context === 'querystring' ? 'query' : (context ?? 'request');
  return path ? `${where}.${path}` : where;
}
