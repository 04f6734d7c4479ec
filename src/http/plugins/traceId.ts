// X-Trace-Id: taken from the request when it is a sane identifier, generated
// otherwise (`traceIdOf`, the server's request id, which Fastify logs), and
// echoed back on every answer.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fp from 'fastify-plugin';

export const TRACE_HEADER = 'x-trace-id';
const SANE_TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function traceIdOf(request: IncomingMessage): string {
  const given = request.headers[TRACE_HEADER];
  return typeof given === 'string' && SANE_TRACE_ID.test(given) ? given : randomUUID();
}

export const traceId = fp(
  async (app) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.header(TRACE_HEADER, request.id);
    });
  },
  { name: 'trace-id' },
);
