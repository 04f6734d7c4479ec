// Is a staged file what reached the NAS? (README "Checks before a clear", local check.) A file
// outside .exlab-wizard/ that the manifest does not list, or that changed
// after the sync_verified time (beyond the clock-skew tolerance), or whose
// inode changed after this service saw the run verified, never made it: the
// run must not be cleared.
import type { UNSYNCED_REASONS } from './errorDetails.ts';
import type { PathIndex } from './pathIndex.ts';

// manifest_invalid: a manifest exists but cannot be used; unverifiable: the
// run has neither a manifest nor a parsable sync_verified time. Either way no
// file of the run can be shown to have reached the NAS.
export type UnsyncedReason = (typeof UNSYNCED_REASONS)[number];

// What the pre-clear check of one run needs, in a form a worker thread takes.
export interface SyncRules {
  // The run's manifest, relative to the run (a byte string); when the file is
  // absent only the time tests apply.
  manifestPath: string;
  // Milliseconds since the epoch, or null (then only the manifest applies).
  verifiedAtMs: number | null;
  toleranceMs: number;
  // When this service first saw the run's latest verification (ms since the
  // epoch, this machine's clock, which also stamps ctimes), or null where
  // nobody saw it (then the inode test is not made). mtime can be set by
  // anyone (cp -p, rsync -a, touch -d); ctime cannot: a file whose inode
  // changed after that moment is not known to be what the NAS received.
  seenVerifiedAtMs: number | null;
  // Files an earlier clear of this run could not delete (EPERM, EBUSY, ...),
  // by byte path, as they were then: a later inode change of one of them
  // alone, same inode, size and mtime, is a person mending it (chattr -i,
  // chmod), not new content.
  stuck?: Readonly<Record<string, StuckFile>>;
}

export interface StuckFile {
  ino: number;
  size: number;
  mtimeMs: number;
}

// The stamps the time tests read.
export interface FileTimes extends StuckFile {
  ctimeMs: number;
}

// What the time tests read of the rules (the manifest's path, where known).
type TimeRules = Omit<SyncRules, 'manifestPath'> & Partial<Pick<SyncRules, 'manifestPath'>>;

// The path as shown (entryName.ts), with `escaped` when it is not UTF-8.
interface UnsyncedPath {
  path: string;
  escaped?: true;
  reason: UnsyncedReason;
}

export interface UnsyncedReport {
  // The first MAX_UNSYNCED_REPORTED, and how many in all.
  paths: UnsyncedPath[];
  count: number;
}

export const MAX_UNSYNCED_REPORTED = 20;

export function judgeStagedFile(
  relativePath: string,
  times: FileTimes,
  manifest: PathIndex | null,
  rules: TimeRules,
): UnsyncedReason | null {
  if (!manifest && rules.verifiedAtMs === null) return 'unverifiable';
  if (manifest && !manifest.has(relativePath)) return 'not_in_manifest';
  return lateReason(relativePath, times, rules);
}

// The time tests alone, for a file whose name was judged already: modified
// after the verification (beyond the clock-skew tolerance), or its inode
// changed after this service first saw the run verified (unless it is a
// stuck file, mended and otherwise as it was, or the manifest itself, staged
// outside .exlab-wizard/: the verification's own record, which the name test
// reads afresh).
export function lateReason(
  relativePath: string,
  times: FileTimes,
  rules: TimeRules,
): 'modified_after_verification' | 'inode_changed_after_verification' | null {
  if (rules.verifiedAtMs !== null && times.mtimeMs > rules.verifiedAtMs + rules.toleranceMs) return 'modified_after_verification';
  if (rules.seenVerifiedAtMs === null || times.ctimeMs <= rules.seenVerifiedAtMs) return null;
  if (relativePath === rules.manifestPath) return null;
  const stuck = rules.stuck?.[relativePath];
  const mended = stuck?.ino === times.ino && stuck.size === times.size && stuck.mtimeMs === times.mtimeMs;
  return mended ? null : 'inode_changed_after_verification';
}
