// The five lifecycle states of a staged run; transitions go forward one step
// and `cleared` is terminal.
export const LIFECYCLE_STATES = [
  'staging',
  'complete',
  'sync_queued',
  'sync_verified',
  'cleared',
] as const;

export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export function nextState(state: LifecycleState): LifecycleState | null {
  const index = LIFECYCLE_STATES.indexOf(state);
  return LIFECYCLE_STATES[index + 1] ?? null;
}

export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return nextState(from) === to;
}

// A run whose data may be deleted: verified on the NAS, or already `cleared`
// (an interrupted clear, which the next clear or sweep finishes).
export function isClearableOrResumable(state: LifecycleState): boolean {
  return state === 'sync_verified' || state === 'cleared';
}
