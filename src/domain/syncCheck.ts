// Is a staged file what reached the NAS? (README "Checks before a clear", local check.) A file
// outside .exlab-wizard/ that the manifest does not list, or that changed
// after the sync_verified time (beyond the clock-skew tolerance), never made
// it: the run must not be cleared.
import type { UNSYNCED_REASONS } from './errorDetails.ts';
import type { PathIndex } from './pathIndex.ts';

// manifest_invalid: a manifest exists but cannot be used; unverifiable: the
// run has neither a manifest nor a parsable sync_verified time. Either way no
// file of the run can be shown to have reached the NAS.
export type UnsyncedReason = (typeof UNSYNCED_REASONS)[number];

// What the pre-clear check of one run needs, in a form a worker thread takes.
export interface SyncRules {
  // The run's manifest, relative to the run (a byte string); when the file is
  // absent only the mtime test applies.
  manifestPath: string;
  // Milliseconds since the epoch, or null (then only the manifest applies).
  verifiedAtMs: number | null;
  toleranceMs: number;
}

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
  mtimeMs: number,
  manifest: PathIndex | null,
  rules: Pick<SyncRules, 'verifiedAtMs' | 'toleranceMs'>,
): UnsyncedReason | null {
  if (!manifest && rules.verifiedAtMs === null) return 'unverifiable';
  if (manifest && !manifest.has(relativePath)) return 'not_in_manifest';
  return modifiedAfterVerification(mtimeMs, rules) ? 'modified_after_verification' : null;
}

// The time test alone: for a file whose name was judged already.
export function modifiedAfterVerification(mtimeMs: number, rules: Pick<SyncRules, 'verifiedAtMs' | 'toleranceMs'>): boolean {
  return rules.verifiedAtMs !== null && mtimeMs > rules.verifiedAtMs + rules.toleranceMs;
}
