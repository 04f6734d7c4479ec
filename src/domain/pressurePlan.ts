// The disk-pressure policy (opt-in): past the high-water mark, verified runs
// are cleared oldest-verified first until usage is at or under the target,
// whatever retain_hours says, but never a run verified less than
// min_retain_hours ago. This file only orders and filters; every run it
// proposes is then cleared through the manual clear's own path, so any
// refusal a manual clear gives stops it too.
import { isClearableOrResumable, type LifecycleState } from './lifecycle.ts';
import { formatTimestamp } from './timestamps.ts';

export interface PressureSettings {
  highWaterPercent: number;
  targetPercent: number;
  minRetainHours: number;
}

export interface PressureCandidate {
  run_path: string;
  current_state: LifecycleState;
  verifiedAt: Date | null;
  bytes: number;
  // A refusal the listing already knows (a pre-clear check), if any.
  refusal: { reason: string; message: string } | null;
}

export interface PressureSkip {
  run_path: string;
  reason: string;
  message: string;
}

export interface PressureOrder {
  // Oldest verification first (then by path): the order to clear in.
  order: PressureCandidate[];
  skipped: PressureSkip[];
}

const HOUR_MS = 3_600_000;

export const isPastHighWater = (usage: number, settings: PressureSettings): boolean =>
  usage * 100 > settings.highWaterPercent;

export const isAtTarget = (usage: number, settings: PressureSettings): boolean => usage * 100 <= settings.targetPercent;

// The first moment the pressure sweep may clear a run verified at `verifiedAt`
// (min_retain_hours later); null without a verification time: never.
export const pressureNotBefore = (verifiedAt: Date | null, settings: PressureSettings): Date | null =>
  verifiedAt ? new Date(verifiedAt.getTime() + settings.minRetainHours * HOUR_MS) : null;

export function pressureOrder(runs: readonly PressureCandidate[], settings: PressureSettings, now: Date): PressureOrder {
  const order: PressureCandidate[] = [];
  const skipped: PressureSkip[] = [];
  const skip = (run: PressureCandidate, reason: string, message: string): void => {
    skipped.push({ run_path: run.run_path, reason, message });
  };
  for (const run of runs) {
    if (!isClearableOrResumable(run.current_state)) continue;
    const notBefore = pressureNotBefore(run.verifiedAt, settings);
    if (run.refusal) skip(run, run.refusal.reason, run.refusal.message);
    else if (notBefore === null) {
      skip(run, 'missing_verified_timestamp', 'Its sync_verified entry has no parsable time: the pressure sweep never clears it.');
    } else if (notBefore > now) {
      skip(
        run,
        'min_retain_window',
        `Verified less than ${settings.minRetainHours} h ago: the pressure sweep keeps it until ${formatTimestamp(notBefore)}.`,
      );
    } else order.push(run);
  }
  order.sort(
    (a, b) => (a.verifiedAt?.getTime() ?? 0) - (b.verifiedAt?.getTime() ?? 0) || a.run_path.localeCompare(b.run_path),
  );
  return { order, skipped };
}
