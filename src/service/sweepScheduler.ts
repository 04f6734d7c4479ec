// The background sweep: every interval, clear what the policy says is due
// (scheduled mode), then, when a pressure policy is configured (in either
// mode), make room on the staging volume. One sweep at a time: the next
// waits for the last.
import type { Logger } from 'pino';
import { isCleanupError } from '../domain/errors.ts';
import { repeatEvery, type Repeating } from '../lib/repeating.ts';
import type { Clears } from './clears.ts';
import type { PressureSweep } from './pressureSweep.ts';

const SWEEPER_ACTOR = 'sweeper';

interface SweepSchedule {
  policy: boolean;
  pressure: boolean;
}

// `recovered`: the dead locks of this host taken over first (lifecycle.ts),
// so that the first sweep finishes their clears instead of finding them held.
export function startSweepScheduler(
  sweeps: { clears: Pick<Clears, 'sweep'>; relievePressure: PressureSweep; recovered: () => Promise<unknown> },
  intervalMs: number,
  logger: Logger,
  schedule: SweepSchedule,
): Repeating {
  const quietly = (what: string, work: () => Promise<unknown>): Promise<void> =>
    work().then(
      () => undefined,
      (error: unknown) => {
        if (isCleanupError(error)) logger.warn({ code: error.code }, `${what} skipped: ${error.message}`);
        else logger.error({ err: error }, `${what} failed`);
      },
    );
  const scheduler = repeatEvery(intervalMs, async () => {
    await quietly('lock takeover at start', sweeps.recovered);
    if (schedule.policy) await quietly('scheduled sweep', () => sweeps.clears.sweep({ actor: SWEEPER_ACTOR }));
    if (schedule.pressure) await quietly('pressure sweep', () => sweeps.relievePressure({ actor: SWEEPER_ACTOR }));
  });
  logger.info({ interval_seconds: intervalMs / 1000, ...schedule }, 'scheduled sweeps started');
  return scheduler;
}
