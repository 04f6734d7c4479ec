// The background sweep of scheduled mode: every interval, clear what the
// policy says is due. One sweep at a time: the next waits for the last.
import type { Logger } from 'pino';
import { isCleanupError } from '../domain/errors.ts';
import type { CleanupService } from './cleanupService.ts';

const SWEEPER_ACTOR = 'sweeper';

interface SweepScheduler {
  stop(): Promise<void>;
}

export function startSweepScheduler(service: CleanupService, intervalMs: number, logger: Logger): SweepScheduler {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const tick = (): void => {
    running = service
      .sweep({ actor: SWEEPER_ACTOR })
      .then(
        () => undefined,
        (error: unknown) => {
          if (isCleanupError(error)) logger.warn({ code: error.code }, `scheduled sweep skipped: ${error.message}`);
          else logger.error({ err: error }, 'scheduled sweep failed');
        },
      )
      .finally(schedule);
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };

  schedule();
  logger.info({ interval_seconds: intervalMs / 1000 }, 'scheduled sweeps started');
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
