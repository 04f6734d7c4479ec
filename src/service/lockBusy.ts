// The clear_in_progress refusal: who holds the run's lock, since when, and
// when that lock is taken over should its holder have died, so that a person
// (or the staging panel) can tell a clear that runs from one that crashed.
import type { z } from 'zod';
import { clearInProgressDetailsSchema } from '../domain/errorDetails.ts';
import { CleanupError } from '../domain/errors.ts';
import { formatTimestamp } from '../domain/timestamps.ts';
import type { LockStatus } from '../storage/runLock.ts';

type ClearInProgressDetails = z.infer<typeof clearInProgressDetailsSchema>;

export function clearInProgress(runPath: string, status: LockStatus | null): CleanupError {
  const holder = status?.holder ?? null;
  const details: ClearInProgressDetails = {
    holder: holder && { host: holder.host, pid: holder.pid, since: formatTimestamp(new Date(holder.acquired_at)) },
    takeover_at: status?.takeoverAt ? formatTimestamp(status.takeoverAt) : null,
  };
  return new CleanupError('clear_in_progress', { runPath, holds: whoHolds(details) }, { details });
}

function whoHolds({ holder, takeover_at: takeoverAt }: ClearInProgressDetails): string {
  const ifDead = takeoverAt
    ? `If that process has died, its lock will be taken over at ${takeoverAt}.`
    : 'Should that process die, its lock is taken over at once.';
  if (holder && !takeoverAt) {
    return `is being cleared by process ${holder.pid} on this host (${holder.host}) since ${holder.since}; ask again when it is done. ${ifDead}`;
  }
  if (holder) {
    return `is being cleared by host ${holder.host} (process ${holder.pid}) since ${holder.since}; ask again when it is done. ${ifDead}`;
  }
  if (takeoverAt) return `is being cleared by another process (its lock does not say which); ask again when it is done. ${ifDead}`;
  return 'is being cleared by another request right now; ask again when it is done.';
}
