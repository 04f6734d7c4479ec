// Health as its latest check found it, so that a health request is answered
// at once even while clears keep the event loop and the disk busy (a check
// is several steps of I/O, each queued behind that work). A check runs at
// most once a FRESH_MS, in the background, while the last report is served.
// A report older than MAX_AGE_MS (a check that is slow or hangs) is never
// served: the request waits for the check, as it would with no cache.
export const FRESH_MS = 1000;
export const MAX_AGE_MS = 10_000;

export interface HealthQuery {
  // A check now, whatever the age of the last report.
  fresh?: boolean;
}

export function cachedHealth<Report>(
  check: () => Promise<Report>,
  now: () => number = () => performance.now(),
): (query?: HealthQuery) => Promise<Report> {
  let last: { report: Report; checkedAt: number } | null = null;
  let running: Promise<Report> | null = null;
  const refresh = (): Promise<Report> => {
    const startedAt = now();
    running ??= check()
      .then((report) => {
        last = { report, checkedAt: startedAt };
        return report;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  return async (query = {}) => {
    const age = last ? now() - last.checkedAt : Number.POSITIVE_INFINITY;
    if (!last || query.fresh || age > MAX_AGE_MS) return refresh();
    if (age > FRESH_MS) void refresh().catch(() => undefined);
    return last.report;
  };
}
