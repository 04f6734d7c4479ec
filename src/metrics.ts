// Prometheus metrics (prom-client): clears by outcome, what they freed and
// how long they took, staged runs by state, sweeps, and the process defaults.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerCapacityMetrics } from './capacityMetrics.ts';
import { LIFECYCLE_STATES } from './domain/lifecycle.ts';
import { registerFleetMetrics } from './fleetMetrics.ts';
import type { MetricSources } from './metricSources.ts';

export function createMetrics(sources: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerCapacityMetrics(registry, sources);
  const clears = new Counter({
    name: 'staging_cleanup_clears_total',
    help: 'Clear attempts by outcome: cleared, already_cleared, or the error code that refused or stopped them.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const filesFreed = new Counter({
    name: 'staging_cleanup_files_freed_total',
    help: 'Non-directory entries removed from staging.',
    registers: [registry],
  });
  const bytesFreed = new Counter({
    name: 'staging_cleanup_bytes_freed_total',
    help: 'Bytes (lstat sizes) removed from staging.',
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'staging_cleanup_clear_duration_seconds',
    help: 'Duration of clears that removed something.',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [registry],
  });
  const sweeps = new Counter({
    name: 'staging_cleanup_sweeps_total',
    help: 'Sweeps run, scheduled or asked for.',
    registers: [registry],
  });
  const sweepRuns = new Counter({
    name: 'staging_cleanup_sweep_runs_total',
    help: 'Runs a sweep cleared, skipped (left for later, by reason) or failed to clear.',
    labelNames: ['result', 'reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'staging_cleanup_staged_runs',
    help: 'Staged runs by lifecycle state (from the listing at scrape time).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      const listing = await sources.runs.listRuns().catch(() => null);
      if (!listing) return;
      for (const state of LIFECYCLE_STATES) {
        this.set({ state }, listing.runs.filter((row) => row.current_state === state).length);
      }
    },
  });

  sources.events.on('clear_done', ({ answer, error, record }) => {
    clears.inc({ outcome: answer?.outcome ?? error?.code ?? 'unknown' });
    if (!record) return;
    filesFreed.inc(record.files_freed);
    bytesFreed.inc(record.bytes_freed);
    duration.observe(record.duration_ms / 1000);
  });
  sources.events.on('sweep_done', (summary) => {
    sweeps.inc();
    sweepRuns.inc({ result: 'cleared', reason: '' }, summary.cleared);
    sweepRuns.inc({ result: 'failed', reason: '' }, summary.failed);
    for (const [reason, count] of Object.entries(summary.skipped_by_reason)) {
      sweepRuns.inc({ result: 'skipped', reason }, count);
    }
  });
  registerFleetMetrics(registry, sources);
  return registry;
}
