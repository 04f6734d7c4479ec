// Calls of `work` made while one runs get that one's result: the gauges of
// one scrape (prom-client collects them all at once) share one answer.
export function sharedInFlight<T>(work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () =>
    (running ??= work().finally(() => {
      running = null;
    }));
}
