// What the metrics read: the parts of the program they watch, as the
// composition root (compose.ts) hands them over.
import type { PressureSettings } from './domain/pressurePlan.ts';
import type { AsyncClears } from './service/asyncClears.ts';
import type { Capacity } from './service/capacity.ts';
import type { RunQueries } from './service/runQueries.ts';
import type { ServiceEvents } from './service/serviceEvents.ts';
import type { RunLocks } from './storage/runLock.ts';

export interface MetricSources {
  runs: Pick<RunQueries, 'listRuns'>;
  events: ServiceEvents;
  capacity: Pick<Capacity, 'answer'>;
  pressure: PressureSettings | null;
  health: () => Promise<{ checks: Record<string, { ok: boolean }> }>;
  locks: Pick<RunLocks, 'oldestHeldSince'>;
  jobs: Pick<AsyncClears, 'list'>;
}
