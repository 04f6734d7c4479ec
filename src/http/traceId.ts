// X-Trace-Id: taken from the request when it is a sane identifier, generated
// otherwise; it is the request id Fastify logs, and it is echoed back.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

export const TRACE_HEADER = 'x-trace-id';
const SANE_TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function traceIdOf(request: IncomingMessage): string {
  const given = request.headers[TRACE_HEADER];
  return typeof given === 'string' && SANE_TRACE_ID.test(given) ? given : randomUUID();
}

export function registerTraceEcho(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(TRACE_HEADER, request.id);
  });
}
