// Whether a run's ingest.json can be believed before anything is deleted on
// its word (README "Checks before a clear"): its state must be the state of
// its latest history entry, it must have been verified if it says so, and
// its verification time must be there, parse, and not lie in the future. A record that fails is
// refused with a reason of its own; it clears once it is fixed or, for a
// time ahead of our clock, once that time has passed.
import { CleanupError } from './errors.ts';
import type { IngestView } from './ingestSchema.ts';
import { isClearableOrResumable, type LifecycleState } from './lifecycle.ts';
import { latestVerification, verifiedAt } from './verification.ts';
import { formatTimestamp } from './timestamps.ts';

export type RecordRefusal =
  | { reason: 'ingest_inconsistent'; currentState: LifecycleState; latestState: LifecycleState | null; problem: string }
  | { reason: 'not_sync_verified'; state: LifecycleState }
  | { reason: 'missing_verified_timestamp' }
  | { reason: 'verified_time_unparsable'; at: string }
  | { reason: 'verified_in_future'; verifiedAt: string; now: string; toleranceSeconds: number };

// Why the record contradicts itself, or null when it does not.
function contradiction(view: IngestView): string | null {
  const latest = view.history.at(-1);
  if (!latest) return `current_state is ${view.current_state} but the history is empty`;
  if (latest.state !== view.current_state) {
    return `current_state is ${view.current_state} but the latest history entry says ${latest.state}`;
  }
  if (!isClearableOrResumable(view.current_state)) return null;
  const verification = latestVerification(view);
  if (!verification) return `current_state is ${view.current_state} but no history entry says sync_verified`;
  // After the verification only a clear may follow; anything else re-opened the run.
  const reopening = view.history.slice(view.history.lastIndexOf(verification) + 1).find((entry) => entry.state !== 'cleared');
  return reopening ? `a ${reopening.state} entry follows the latest sync_verified entry (the run was re-opened)` : null;
}

// The first reason, in the policy's order, that the record alone forbids a
// clear at `now`; the verification time may be ahead of `now` by at most
// `toleranceSeconds` (clock skew between the verifying host and this one).
export function recordRefusal(view: IngestView, now: Date, toleranceSeconds: number): RecordRefusal | null {
  const problem = contradiction(view);
  if (problem) {
    return {
      reason: 'ingest_inconsistent',
      currentState: view.current_state,
      latestState: view.history.at(-1)?.state ?? null,
      problem,
    };
  }
  if (!isClearableOrResumable(view.current_state)) return { reason: 'not_sync_verified', state: view.current_state };
  // Read strictly: without a time, no file can be tested against the
  // verification, and the test is never skipped.
  const at = latestVerification(view)?.at;
  if (at === undefined) return { reason: 'missing_verified_timestamp' };
  const verified = verifiedAt(view);
  if (!verified) return { reason: 'verified_time_unparsable', at };
  if (verified && verified.getTime() > now.getTime() + toleranceSeconds * 1000) {
    return { reason: 'verified_in_future', verifiedAt: formatTimestamp(verified), now: formatTimestamp(now), toleranceSeconds };
  }
  return null;
}

// A record that cannot be believed, as the error a clear answers with.
export function distrustError(refusal: Exclude<RecordRefusal, { reason: 'not_sync_verified' }>): CleanupError {
  if (refusal.reason === 'ingest_inconsistent') {
    return new CleanupError(
      'ingest_inconsistent',
      { problem: refusal.problem },
      { details: { current_state: refusal.currentState, latest_state: refusal.latestState } },
    );
  }
  if (refusal.reason === 'missing_verified_timestamp') return new CleanupError('missing_verified_timestamp', undefined);
  if (refusal.reason === 'verified_time_unparsable') {
    return new CleanupError('verified_time_unparsable', { at: refusal.at }, { details: { verified_at_text: refusal.at } });
  }
  return new CleanupError(
    'verified_in_future',
    { verifiedAt: refusal.verifiedAt, now: refusal.now, toleranceSeconds: refusal.toleranceSeconds },
    { details: { verified_at: refusal.verifiedAt, service_time: refusal.now, tolerance_seconds: refusal.toleranceSeconds } },
  );
}
