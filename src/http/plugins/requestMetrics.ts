// Times every answer for the request histogram of the metrics (fleetMetrics.ts),
// labelled by the route as registered, so that run paths never become labels.
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { requestObserverOf } from '../../fleetMetrics.ts';

export interface RequestMetricsOptions {
  registry: Registry;
}

export const requestMetrics = fp<RequestMetricsOptions>(
  async (app, { registry }) => {
    const observe = requestObserverOf(registry);
    if (!observe) return;
    app.addHook('onResponse', async (request, reply) => {
      observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  },
  { name: 'request-metrics' },
);
