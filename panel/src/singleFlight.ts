// At most one call of `task` in flight: a call made while one runs is folded
// into a single rerun after it, so that a burst of events (a bulk clear ends
// runs many times a second) never stacks requests the service answers slower
// than they come.
export function singleFlight(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await task();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  return run;
}
