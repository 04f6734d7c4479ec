// One row of the staging panel (a superset of the Wizard's StagedRunRow).
import type { Decision } from '../domain/policy.ts';
import { ingestMismatches, originOf } from '../domain/runOrigin.ts';
import { formatTimestamp, parseTimestamp } from '../domain/timestamps.ts';
import type { RunRow } from './answers.ts';
import type { CatalogEntry } from './runCatalog.ts';

export function buildRunRow(entry: CatalogEntry, decision: Decision, now: Date): RunRow {
  const { view } = entry.record;
  const lastActivity = lastActivityOf(entry) ?? now;
  return {
    path: entry.location.absolutePath,
    run_path: entry.location.runPath,
    ...(entry.location.escaped ? { escaped: true as const } : {}),
    current_state: view.current_state,
    ...originOf(entry.location),
    project_name: view.project_name,
    ingest_mismatch: ingestMismatches(view, entry.location),
    file_count: entry.measure?.dataFiles ?? 0,
    byte_total: entry.measure?.dataBytes ?? 0,
    files_to_free: entry.measure?.files ?? 0,
    bytes_to_free: entry.measure?.bytes ?? 0,
    elapsed_seconds_since_last_activity: secondsSince(lastActivity.getTime(), now),
    last_activity_at: formatTimestamp(lastActivity),
    clearable: decision.clearable,
    auto_clear_eligible: decision.auto_clear_eligible,
    eligible_at: decision.eligible_at,
    verified_at: decision.verified_at,
    reason: decision.reason,
  };
}

// Whole seconds from `fromMs` (ms since the epoch) to `now`, never below 0.
export function secondsSince(fromMs: number, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - fromMs) / 1000));
}

// The last history time, else the run directory's mtime.
function lastActivityOf(entry: CatalogEntry): Date | null {
  const last = entry.record.view.history.at(-1);
  return parseTimestamp(last?.at) ?? entry.directoryMtime;
}

// Newest activity first, then by path.
export function compareRows(a: RunRow, b: RunRow): number {
  return b.last_activity_at.localeCompare(a.last_activity_at) || a.path.localeCompare(b.path);
}
