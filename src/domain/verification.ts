// The latest sync_verified entry of a run's history: its time, NAS path and
// checksum manifest are the ones every check and record uses.
import type { HistoryEntry, IngestView } from './ingestSchema.ts';
import { parseTimestamp } from './timestamps.ts';

export function latestVerification(view: IngestView): HistoryEntry | undefined {
  return view.history.findLast((item) => item.state === 'sync_verified');
}

export function verifiedAt(view: IngestView): Date | null {
  const entry = latestVerification(view);
  return entry ? parseTimestamp(entry.at) : null;
}
