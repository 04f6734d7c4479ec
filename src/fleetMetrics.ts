// The metrics a fleet's alert rules and dashboard need (ops/prometheus,
// ops/grafana) beyond what a clear counts: each health check, journal
// records that only the log kept, the lock held longest, whether the sweep
// keeps up, the job queue, and how long requests take.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { OUTCOME_ERROR_CODES, type OutcomeErrorCode } from './domain/errorTable.ts';
import { parseTimestamp } from './domain/timestamps.ts';
import { statusOf } from './http/httpErrors.ts';
import { REQUEST_DURATION } from './http/plugins/requestMetrics.ts';
import { sharedInFlight } from './lib/sharedInFlight.ts';
import type { MetricSources } from './metricSources.ts';
import type { AsyncClears } from './service/asyncClears.ts';
import type { JobSummary } from './service/jobSchema.ts';

// Jobs read per page while counting them.
const JOBS_PAGE = 500;
const ACTIVE_JOB_STATES: ReadonlyArray<JobSummary['state']> = ['queued', 'running'];
// prom-client's default gauges that end in _total, which `promtool check
// metrics` rejects (a gauge is no counter); their by-type gauges
// (nodejs_active_handles{type}, ...) stay and sum to the same.
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

// The outcomes of a clear that failed on the service's side (5xx), which the
// StagingClearsFailing alert watches (ops/prometheus/recording.yml lists the
// same): not a stop (shutting_down) nor a full job queue, which are no failure.
const NOT_FAILURES: ReadonlySet<OutcomeErrorCode> = new Set(['shutting_down', 'job_queue_full']);
export const CLEAR_FAILURES: readonly OutcomeErrorCode[] = OUTCOME_ERROR_CODES.filter(
  (code) => statusOf(code) >= 500 && !NOT_FAILURES.has(code),
);

// Registered after the clear counters of metrics.ts, whose failure outcomes it starts at 0.
export function registerFleetMetrics(registry: Registry, sources: MetricSources): void {
  const registers = [registry];
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  // increase() sees no rise in a series' first sample: without a 0 before
  // it, a host's first failure of a kind would never fire the alert.
  const clears = registry.getSingleMetric('staging_cleanup_clears_total');
  if (clears instanceof Counter) for (const outcome of CLEAR_FAILURES) clears.inc({ outcome }, 0);
  // One listing serves every gauge of a scrape (prom-client collects them at once).
  const latestListing = sharedInFlight(() => sources.runs.listRuns());

  new Gauge({
    name: 'staging_cleanup_health_check_ok',
    help: 'Each check of /api/v1/health: 1 when it passes, 0 when it fails.',
    labelNames: ['check'],
    registers,
    async collect() {
      // A check that cannot run at all must not take the whole scrape down.
      const report = await sources.health().catch(() => null);
      this.reset();
      for (const [check, { ok }] of Object.entries(report?.checks ?? {})) this.set({ check }, ok ? 1 : 0);
    },
  });
  const journalFailures = new Counter({
    name: 'staging_cleanup_journal_write_failures_total',
    help: 'Clears whose journal record could not be written (only the log keeps it).',
    registers,
  });
  sources.events.on('journal_write_failed', () => journalFailures.inc());

  new Gauge({
    name: 'staging_cleanup_oldest_lock_held_seconds',
    help: 'How long this process has held the run lock it has held longest; 0 when it holds none.',
    registers,
    collect() {
      const since = sources.locks.oldestHeldSince();
      this.set(since === null ? 0 : (Date.now() - since) / 1000);
    },
  });

  const lastSweep = new Gauge({
    name: 'staging_cleanup_last_sweep_timestamp_seconds',
    help: 'When the last sweep (scheduled or asked for) finished, in Unix seconds; 0 before the first.',
    registers,
  });
  sources.events.on('sweep_done', () => lastSweep.setToCurrentTime());
  new Gauge({
    name: 'staging_cleanup_auto_eligible_runs',
    help: 'Runs the sweep may clear now (scheduled mode): past their retain window, or interrupted clears.',
    registers,
    async collect() {
      const runs = (await latestListing().catch(() => null))?.runs;
      if (runs) this.set(runs.filter((row) => row.auto_clear_eligible).length);
    },
  });
  new Gauge({
    name: 'staging_cleanup_oldest_auto_eligible_age_seconds',
    help: 'How long the run that has waited longest for the sweep has been past its retain window (an interrupted clear: since it began); 0 when none waits.',
    registers,
    async collect() {
      const runs = (await latestListing().catch(() => null))?.runs;
      if (!runs) return;
      // An interrupted clear has waited since the clear began (its last history entry).
      const now = Date.now();
      const oldest = runs
        .filter((row) => row.auto_clear_eligible)
        .reduce((first, row) => Math.min(first, parseTimestamp(row.eligible_at ?? row.last_activity_at)?.getTime() ?? now), now);
      this.set((now - oldest) / 1000);
    },
  });

  new Gauge({
    name: 'staging_cleanup_jobs',
    help: 'Asynchronous clears (Prefer: respond-async) waiting (queued) or running.',
    labelNames: ['state'],
    registers,
    collect() {
      for (const state of ACTIVE_JOB_STATES) this.set({ state }, 0);
      for (const job of allJobs(sources.jobs)) if (ACTIVE_JOB_STATES.includes(job.state)) this.inc({ state: job.state });
    },
  });

  new Histogram({
    name: REQUEST_DURATION,
    help: 'HTTP requests by method, route (as registered; "unmatched" for none) and status code, until the answer was sent.',
    labelNames: ['method', 'route', 'code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
}

// Every job the registry keeps, page by page.
function* allJobs(jobs: Pick<AsyncClears, 'list'>): Generator<JobSummary> {
  let cursor: string | undefined;
  do {
    const page = jobs.list({ limit: JOBS_PAGE, ...(cursor === undefined ? {} : { cursor }) });
    yield* page.jobs;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}
