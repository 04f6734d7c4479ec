// The clearing policy (the Wizard's own, kept the same; README "The API at a glance"): which runs the
// sweep may clear now, which an operator may clear, and one reason why.
import type { CleanupErrorCode } from './errorTable.ts';
import type { IngestView } from './ingestSchema.ts';
import { distrustError, recordRefusal } from './recordTrust.ts';
import { formatTimestamp } from './timestamps.ts';
import { verifiedAt } from './verification.ts';

export const CLEANUP_MODES = ['manual', 'scheduled'] as const;
type CleanupMode = (typeof CLEANUP_MODES)[number];

export interface PolicySettings {
  mode: CleanupMode;
  retainHours: number;
  // How far a verification time may lie ahead of our clock (clock skew
  // between the verifying host and this one); beyond, it is not trusted.
  clockToleranceSeconds: number;
}

// Upper bounds of the settings (the configuration refuses more): a larger
// one would in effect switch the check off.
export const MAX_RETAIN_HOURS = 87_600;
export const MAX_CLOCK_TOLERANCE_SECONDS = 86_400;

// A pre-clear check that failed: the checks of README "Checks before a clear",
// a run whose lock name would not fit, or folders this service may not write.
// It outranks the mode and the retain window because the run cannot be
// cleared at all.
export const PRE_CLEAR_REFUSALS = [
  'run_name_too_long',
  'staging_permission_denied',
  'survey_failed',
  'manifest_invalid',
  'unsynced_files',
  'nas_copy_mismatch',
  'nas_unreachable',
] as const satisfies readonly CleanupErrorCode[];

export interface PreClearRefusal {
  reason: (typeof PRE_CLEAR_REFUSALS)[number];
  message: string;
}

// Records that cannot be believed (recordTrust.ts).
export const DISTRUSTED_RECORDS = [
  'ingest_inconsistent',
  'missing_verified_timestamp',
  'verified_time_unparsable',
  'verified_in_future',
] as const satisfies readonly CleanupErrorCode[];

export function isDistrustReason(reason: string): reason is (typeof DISTRUSTED_RECORDS)[number] {
  return (DISTRUSTED_RECORDS as readonly string[]).includes(reason);
}

// In precedence order: when several apply, the first wins. A record that
// cannot be believed is refused before anything is measured.
export const DECISION_REASONS = [
  'ingest_inconsistent',
  'not_sync_verified',
  'missing_verified_timestamp',
  'verified_time_unparsable',
  'verified_in_future',
  ...PRE_CLEAR_REFUSALS,
  'clear_interrupted',
  'manual_mode',
  'retain_window',
  'eligible',
] as const;

type DecisionReason = (typeof DECISION_REASONS)[number];

export interface Decision {
  reason: DecisionReason;
  message: string;
  clearable: boolean;
  auto_clear_eligible: boolean;
  verified_at: string | null;
  eligible_at: string | null;
}

const HOUR_MS = 3_600_000;

export function decide(
  view: IngestView,
  settings: PolicySettings,
  now: Date,
  refusal?: PreClearRefusal,
): Decision {
  const verified = verifiedAt(view);
  const eligibleAt =
    verified && settings.mode === 'scheduled'
      ? new Date(verified.getTime() + settings.retainHours * HOUR_MS)
      : null;
  const base = {
    verified_at: verified ? formatTimestamp(verified) : null,
    eligible_at: eligibleAt ? formatTimestamp(eligibleAt) : null,
  };
  const refuse = (reason: DecisionReason, message: string): Decision => ({
    ...base,
    eligible_at: null,
    reason,
    message,
    clearable: false,
    auto_clear_eligible: false,
  });
  const manualOnly = (reason: DecisionReason, message: string): Decision => ({
    ...base,
    reason,
    message,
    clearable: true,
    auto_clear_eligible: false,
  });

  const distrust = recordRefusal(view, now, settings.clockToleranceSeconds);
  if (distrust?.reason === 'not_sync_verified') {
    return refuse('not_sync_verified', `The run is ${distrust.state}; only a sync_verified run can be cleared.`);
  }
  if (distrust) return refuse(distrust.reason, distrustError(distrust).message);
  if (refusal) return refuse(refusal.reason, refusal.message);
  // A listed run still has its ingest.json, which a clear removes last: a
  // `cleared` one was cut short, and clearing it again finishes the job.
  if (view.current_state === 'cleared') {
    return {
      ...base,
      eligible_at: null,
      reason: 'clear_interrupted',
      message:
        'A clear of this run began but did not finish: files remain. Clearing it again finishes the job' +
        (settings.mode === 'scheduled' ? '; the next sweep will.' : '.'),
      clearable: true,
      auto_clear_eligible: settings.mode === 'scheduled',
    };
  }
  if (settings.mode === 'manual') {
    return manualOnly(
      'manual_mode',
      'Cleanup mode is manual: an operator may clear this run; it is never cleared automatically.',
    );
  }
  // recordRefusal refused a record without a parsable verification time
  // already; should one come this far, it is refused all the same.
  if (!eligibleAt) return refuse('missing_verified_timestamp', distrustError({ reason: 'missing_verified_timestamp' }).message);
  if (now.getTime() < eligibleAt.getTime()) {
    return manualOnly(
      'retain_window',
      `The run is kept for ${settings.retainHours} h after verification; it becomes eligible at ${base.eligible_at}.`,
    );
  }
  return {
    ...base,
    reason: 'eligible',
    message: `Verified at ${base.verified_at} and past the ${settings.retainHours} h retain window: the sweep will clear it.`,
    clearable: true,
    auto_clear_eligible: true,
  };
}

// Until when (ms since the epoch) decide() gives the same answer for this
// view and refusal as it gives at `now`: the end of the retain window, or
// never. A verification ahead of the clock is answered afresh each time
// (its message names the time it was judged at): `now` itself.
export function decisionHoldsUntil(view: IngestView, settings: PolicySettings, now: Date): number {
  const verified = verifiedAt(view);
  if (!verified) return Number.POSITIVE_INFINITY;
  if (verified.getTime() > now.getTime() + settings.clockToleranceSeconds * 1000) return now.getTime();
  const eligibleAt = verified.getTime() + settings.retainHours * HOUR_MS;
  return settings.mode === 'scheduled' && now.getTime() < eligibleAt ? eligibleAt : Number.POSITIVE_INFINITY;
}
