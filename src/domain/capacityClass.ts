// What the staged bytes are, for a person asking whether the disk can be
// freed: clearable now, verified but kept for the retain window, not
// verified (or held back by a pre-clear check: nothing can free them until
// the NAS has them), and interrupted clears (already meant to go).
import type { LifecycleState } from './lifecycle.ts';

export const CAPACITY_CLASSES = ['clearable', 'retained', 'unverified', 'interrupted'] as const;
export type CapacityClass = (typeof CAPACITY_CLASSES)[number];

export interface ClassTotals {
  bytes: number;
  files: number;
  runs: number;
}

interface Classified {
  current_state: LifecycleState;
  clearable: boolean;
  reason: string;
}

export function capacityClassOf(run: Classified): CapacityClass {
  if (run.current_state === 'cleared') return 'interrupted';
  if (run.current_state !== 'sync_verified' || !run.clearable) return 'unverified';
  return run.reason === 'retain_window' ? 'retained' : 'clearable';
}

export function totalsByClass(
  runs: ReadonlyArray<Classified & { bytes: number; files: number }>,
): Record<CapacityClass, ClassTotals> {
  const totals = Object.fromEntries(CAPACITY_CLASSES.map((name) => [name, { bytes: 0, files: 0, runs: 0 }])) as Record<
    CapacityClass,
    ClassTotals
  >;
  for (const run of runs) {
    const sum = totals[capacityClassOf(run)];
    sum.bytes += run.bytes;
    sum.files += run.files;
    sum.runs += 1;
  }
  return totals;
}
