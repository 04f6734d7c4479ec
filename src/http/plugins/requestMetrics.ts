// Times every answer for the request histogram of the metrics (registered
// with the others in src/fleetMetrics.ts), labelled by the route as
// registered, so that run paths never become labels.
import fp from 'fastify-plugin';
import { Histogram, type Registry } from 'prom-client';

export const REQUEST_DURATION = 'staging_cleanup_http_request_duration_seconds';

// Records one answered request, for the HTTP layer.
export type RequestObserver = (labels: { method: string; route: string; code: string }, seconds: number) => void;

// The observer of the request histogram registered in `registry`, or null without one.
export function requestObserverOf(registry: Registry): RequestObserver | null {
  const histogram = registry.getSingleMetric(REQUEST_DURATION);
  if (!(histogram instanceof Histogram)) return null;
  return (labels, seconds) => histogram.observe(labels, seconds);
}

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
