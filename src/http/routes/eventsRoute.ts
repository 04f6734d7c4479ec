// GET /api/v1/events: Server-Sent Events of clear progress, finished clears
// and run state changes, so that the staging panel draws progress without
// polling. EventSource cannot send headers, so ?access_token= works here.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServiceEvents } from '../../service/serviceEvents.ts';
import { TOKEN_REQUIRED } from '../openapi.ts';
import { EventStream } from '../eventStream.ts';
import { TRACE_HEADER } from '../traceId.ts';

export const eventsRoute: FastifyPluginAsyncZod<{
  events: ServiceEvents;
  heartbeatMs: number;
  // The clients connected now (ended when the app stops).
  open: Set<EventStream>;
}> = async (
  app,
  { events, heartbeatMs, open },
) => {
  app.addHook('preClose', async () => {
    for (const stream of open) stream.end();
  });

  app.get('/api/v1/events', {
    config: { scope: 'read', tokenInQuery: true },
    schema: {
      summary: 'Server-Sent Events: clear progress and run state changes',
      operationId: 'streamEvents',
      description:
        'text/event-stream. Events: clear_progress {run_path, job_id, files_freed, bytes_freed, files_total}; ' +
        'clear_done {run_path, job_id, actor, outcome, files_freed, bytes_freed, error}; ' +
        'run_state {run_path, from, to}. A comment line every heartbeat. The token may be sent as ?access_token= (never logged).',
      tags: ['jobs'],
      security: TOKEN_REQUIRED,
      querystring: z.strictObject({ access_token: z.string().optional() }),
      produces: ['text/event-stream'],
      response: { 200: z.string().describe('An endless event stream') },
    },
    handler: (request, reply) => {
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
      const stream = new EventStream(response);
      const stops = [
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
      ];
      const heartbeat = setInterval(() => stream.comment('heartbeat'), heartbeatMs);
      open.add(stream);
      response.on('close', () => {
        clearInterval(heartbeat);
        for (const stop of stops) stop();
        open.delete(stream);
      });
    },
  });
};
