// Work run every interval, one run at a time: the next waits for the last
// to end. Its timer never keeps the process alive; stop() waits for a run
// under way.
export interface Repeating {
  stop(): Promise<void>;
}

export function repeatEvery(intervalMs: number, work: () => Promise<void>, options: { now?: boolean } = {}): Repeating {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const tick = (): void => {
    running = work().finally(schedule);
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };

  if (options.now) tick();
  else schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
