// GET /api/v1/events: Server-Sent Events of clear progress, finished clears
// and run state changes, so that the staging panel draws progress without
// polling. EventSource cannot send headers, so ?access_token= works here.
// Clients are capped (event_clients_full beyond), and so is what each may
// fall behind by (eventStream.ts).
import type { Socket } from 'node:net';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServiceEvents } from '../../service/serviceEvents.ts';
import { sendError } from '../errorEnvelope.ts';
import { EventStream } from '../eventStream.ts';
import { API_ERRORS } from '../httpErrors.ts';
import { TOKEN_REQUIRED } from '../plugins/openapi.ts';
import { TRACE_HEADER } from '../plugins/traceId.ts';

// How long a dropped client has to take its last event before it is cut off.
const DROP_GRACE_MS = 10_000;

// The connection of a dropped client ends once its last event is out (not
// kept alive for another request), and is cut if that takes too long.
function closeAfterLastEvent(socket: Socket): void {
  socket.end();
  const cutOff = setTimeout(() => socket.destroy(), DROP_GRACE_MS);
  cutOff.unref();
  socket.once('close', () => clearTimeout(cutOff));
}

export interface EventLimits {
  maxClients: number;
  maxBacklogBytes: number;
}

export const eventsRoute: FastifyPluginAsyncZod<{
  events: ServiceEvents;
  heartbeatMs: number;
  limits: EventLimits;
  // The clients connected now (ended when the app stops).
  open: Set<EventStream>;
}> = async (app, { events, heartbeatMs, limits, open }) => {
  app.addHook('preClose', async () => {
    for (const stream of open) stream.end();
  });

  app.get('/api/v1/events', {
    // A stream has no head to answer with: HEAD is 405, never a held-open slot.
    exposeHeadRoute: false,
    config: { scope: 'read', tokenInQuery: true, errors: ['event_clients_full'] },
    schema: {
      summary: 'Server-Sent Events: clear progress and run state changes',
      operationId: 'streamEvents',
      description:
        'text/event-stream. Events: clear_progress {run_path, job_id, files_freed, bytes_freed, files_total}; ' +
        'clear_done {run_path, job_id, actor, outcome, files_freed, bytes_freed, error}; ' +
        'run_state {run_path, from, to}. A comment line every heartbeat. The token may be sent as ?access_token= (never logged). ' +
        `At most events.max_clients clients (${limits.maxClients} here) are served; beyond, 503 event_clients_full. ` +
        `A client that does not read while more than events.client_backlog_kib of events (${limits.maxBacklogBytes} bytes here) queue for it ` +
        'is sent a last event, dropped {reason: too_far_behind, message, backlog_bytes}, and the stream ends.',
      tags: ['jobs'],
      security: TOKEN_REQUIRED,
      querystring: z.strictObject({ access_token: z.string().optional() }),
      produces: ['text/event-stream'],
      response: { 200: z.string().describe('An endless event stream') },
    },
    handler: (request, reply) => {
      if (open.size >= limits.maxClients) {
        void sendError(request, reply, {
          code: 'event_clients_full',
          message: API_ERRORS.event_clients_full.message({ limit: limits.maxClients }),
        });
        return;
      }
      reply.hijack();
      const response = reply.raw;
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        [TRACE_HEADER]: request.id,
      });
      response.write(': connected\n\n');
      const stops: Array<() => void> = [];
      const heartbeat = setInterval(() => stream.comment('heartbeat'), heartbeatMs);
      const leave = (): void => {
        clearInterval(heartbeat);
        for (const stop of stops.splice(0)) stop();
        open.delete(stream);
      };
      const stream = new EventStream(response, limits.maxBacklogBytes, () => {
        request.log.warn({ max_backlog_bytes: limits.maxBacklogBytes }, 'event-stream client dropped: too far behind');
        leave();
        closeAfterLastEvent(request.raw.socket);
      });
      stops.push(
        events.on('clear_progress', (progress) =>
          stream.send('clear_progress', progress, `clear_progress:${progress.run_path}`),
        ),
        events.on('clear_done', (done) =>
          stream.send('clear_done', {
            run_path: done.run_path,
            job_id: done.job_id,
            actor: done.actor,
            outcome: done.answer?.outcome ?? (done.record ? 'clear_incomplete' : 'refused'),
            files_freed: done.answer?.files_freed ?? done.record?.files_freed ?? 0,
            bytes_freed: done.answer?.bytes_freed ?? done.record?.bytes_freed ?? 0,
            error: done.error,
          }),
        ),
        events.on('run_state', (change) => stream.send('run_state', change)),
      );
      open.add(stream);
      response.on('close', leave);
    },
  });
};
