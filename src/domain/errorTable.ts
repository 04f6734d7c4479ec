// The domain's error table: every refusal of the cleanup core, once, with a
// message template the throw site fills (saying what happened and what a
// person can do), where it points (`field`) and the shape of its `details`.
// How a code is answered over HTTP (its status, Retry-After) is the HTTP
// layer's (src/http/httpErrors.ts), as are the codes only that layer answers.
// One cohesive table, hence its length.
import { z } from 'zod';
import {
  clearIncompleteDetailsSchema,
  clearInProgressDetailsSchema,
  inconsistentDetailsSchema,
  ingestTooLargeDetailsSchema,
  journalUnavailableDetailsSchema,
  lockInvalidDetailsSchema,
  nasCopyMismatchDetailsSchema,
  nasUnreachableDetailsSchema,
  otherFilesystemDetailsSchema,
  permissionDeniedDetailsSchema,
  runNameTooLongDetailsSchema,
  schemaMismatchDetailsSchema,
  stateDetailsSchema,
  surveyFailedDetailsSchema,
  unsyncedFilesDetailsSchema,
  verifiedInFutureDetailsSchema,
  verifiedTimeUnparsableDetailsSchema,
  writeFailedDetailsSchema,
} from './errorDetails.ts';

export interface ErrorSpec<P, D extends z.ZodType | undefined> {
  message: (params: P) => string;
  field?: string;
  details?: D;
}

// P (what the template takes) and D (the details' schema) are inferred from
// the entry, so that a throw site is checked against both.
export const spec = <P = void, D extends z.ZodType | undefined = undefined>(entry: ErrorSpec<P, D>): ErrorSpec<P, D> => entry;
// For codes whose cause is told by the layer that meets it (a read error, a
// malformed field), the template is that sentence.
type Told = { problem: string };
export const toldProblem = ({ problem }: Told): string => problem;

interface UnsyncedParams {
  runPath: string;
  count: number;
  shown: readonly string[];
  // Some file is late by its inode change alone (inode_changed_after_verification).
  inodeChanged?: boolean;
}

// Refusals of the cleanup core (service, storage, domain).
const CLEANUP_ERRORS = {
  invalid_run_path: spec({
    field: 'run_path',
    message: ({ why }: { why: string }) => `Invalid run path: ${why}.`,
  }),
  run_not_found: spec({
    field: 'run_path',
    message: ({ runPath, why = '' }: { runPath: string; why?: string }) => `There is no staged run at ${runPath}${why}.`,
  }),
  job_not_found: spec({
    field: 'id',
    message: ({ id, keptHours }: { id: string; keptHours: number }) => `There is no job ${id} (jobs are kept for ${keptHours} hours).`,
  }),
  clear_in_progress: spec({
    message: ({ runPath, holds }: { runPath: string; holds: string }) => `${runPath} ${holds}`,
    details: clearInProgressDetailsSchema,
  }),
  // Something at the run's lock name that is not a lock folder of this
  // service: never removed by it, never taken for a holder.
  lock_invalid: spec({
    message: ({ runPath, lockPath, problem }: { runPath: string; lockPath: string; problem: string }) =>
      `The lock of ${runPath}, ${lockPath}, ${problem}: it is not a lock this service made, so nothing was deleted. ` +
      'Check what it is, remove it, then clear again.',
    details: lockInvalidDetailsSchema,
  }),
  run_name_too_long: spec({
    message: ({ runPath, nameBytes, maxBytes }: { runPath: string; nameBytes: number; maxBytes: number }) =>
      `The folder name of ${runPath} is ${nameBytes} bytes; its lock name (.<name>.staging-cleanup.lock) would pass the ` +
      `255 bytes a file name may have, so this service cannot lock it and deleted nothing. Rename the run folder to at most ` +
      `${maxBytes} bytes (and its ingest.json run_path with it), or remove it by hand once its NAS copy is verified.`,
    details: runNameTooLongDetailsSchema,
  }),
  ingest_missing: spec({
    message: ({ runPath }: { runPath: string }) =>
      `${runPath} has no .exlab-wizard/ingest.json: it is not a staged run yet, so nothing was deleted.`,
  }),
  // Also a transition of ingest.json that is not one step forward (told).
  staging_not_sync_verified: spec({
    message: (params: { runPath: string; state: string } | Told) =>
      'problem' in params
        ? params.problem
        : `${params.runPath} is ${params.state}; only a run the NAS copy has been verified for (sync_verified) can be cleared.`,
    details: stateDetailsSchema,
  }),
  // A record that cannot be believed (recordTrust.ts).
  ingest_inconsistent: spec({
    message: ({ problem }: { problem: string }) =>
      `ingest.json contradicts itself: ${problem}. It cannot say whether the NAS copy was verified, so nothing was deleted; ` +
      'have the orchestrator correct the record (current_state is the state of the latest history entry), then clear again.',
    details: inconsistentDetailsSchema,
  }),
  verified_in_future: spec({
    message: ({ verifiedAt, now, toleranceSeconds }: { verifiedAt: string; now: string; toleranceSeconds: number }) =>
      `The run's sync_verified time ${verifiedAt} is later than this service's clock (${now}) by more than ` +
      `verify_before_clear.mtime_tolerance_seconds (${toleranceSeconds} s), so no file can be shown to predate the verification ` +
      'and nothing was deleted. Check the clocks of the host that verified the run and of this one, or correct ingest.json; ' +
      'the run clears normally once that time has passed.',
    details: verifiedInFutureDetailsSchema,
  }),
  missing_verified_timestamp: spec({
    message: () =>
      'The latest sync_verified entry of ingest.json has no time (`at`), so no file can be tested against the verification ' +
      'and nothing was deleted. Have the orchestrator correct the record (the time the NAS copy was verified, UTC ' +
      'YYYY-MM-DDTHH:MM:SSZ), then clear again.',
  }),
  verified_time_unparsable: spec({
    message: ({ at }: { at: string }) =>
      `The latest sync_verified entry's time ${JSON.stringify(at)} is not a valid timestamp (YYYY-MM-DDTHH:MM:SSZ, with an ` +
      'explicit offset, or with none for UTC), so no file can be tested against the verification and nothing was deleted. Have the orchestrator ' +
      'correct the record, then clear again.',
    details: verifiedTimeUnparsableDetailsSchema,
  }),
  unsynced_files: spec({
    message: ({ runPath, count, shown, inodeChanged = false }: UnsyncedParams) =>
      `${runPath} has ${count} file${count === 1 ? '' : 's'} that never reached the NAS ` +
      `(not in the checksum manifest, changed after verification, or with neither to check against): ` +
      `${shown.slice(0, 3).join(', ')}${count > 3 ? ` and ${count - 3} more` : ''}. Nothing was deleted; ` +
      'sync the run again or remove those files.' +
      (inodeChanged
        ? ' Some were changed after this service first saw the run verified although their mtime is older: files copied ' +
          'in with their times kept (cp -p, rsync -a), or a tree moved, restored or re-permissioned (which renews every ' +
          'ctime). Re-verify the run against the NAS (a new sync_verified entry), or, where you changed them yourself ' +
          '(chattr, chmod) and know they are what was verified, remove them by hand; then clear again.'
        : ''),
    details: unsyncedFilesDetailsSchema,
  }),
  nas_copy_mismatch: spec({
    message: ({ runPath, nasDir, count, mode }: { runPath: string; nasDir: string; count: number; mode: string }) =>
      `The NAS copy of ${runPath} at ${nasDir} differs from staging in ${count} file${count === 1 ? '' : 's'} (${mode} check). Nothing was deleted.`,
    details: nasCopyMismatchDetailsSchema,
  }),
  sweep_in_progress: spec({
    message: () => 'A sweep is already running; its results will be in the journal.',
  }),
  pressure_not_configured: spec({
    message: () =>
      'No disk-pressure policy is configured, so nothing is cleared to make room: set pressure.high_water_percent and ' +
      'pressure.target_percent (see "Keeping the disk from filling" in the README).',
  }),
  ingest_invalid: spec({ message: toldProblem, details: ingestTooLargeDetailsSchema }),
  manifest_invalid: spec({
    message: ({ runPath, problem }: { runPath: string; problem: string }) =>
      `${runPath}: ${problem}. No file can be shown to have reached the NAS, so nothing was deleted.`,
  }),
  schema_major_mismatch: spec({
    field: 'schema_version',
    message: ({ found, supported }: { found: string; supported: string }) => `ingest.json has schema_version ${found}; this service reads ${supported} only`,
    details: schemaMismatchDetailsSchema,
  }),
  clear_incomplete: spec({
    message: ({ runPath, why }: { runPath: string; why: string }) => `${runPath} was only partly cleared: ${why}. Fix the cause and clear again to finish.`,
    details: clearIncompleteDetailsSchema,
  }),
  nas_unreachable: spec({
    message: ({ runPath, why }: { runPath: string; why: string }) => `The NAS copy of ${runPath} cannot be checked: ${why}. Nothing was deleted.`,
    details: nasUnreachableDetailsSchema,
  }),
  survey_failed: spec({
    message: ({ runPath, why }: { runPath: string; why: string }) =>
      `${runPath} could not be surveyed whole (${why}), so what it holds cannot be checked: nothing was deleted. Fix the cause and clear again.`,
    details: surveyFailedDetailsSchema,
  }),
  journal_unavailable: spec({
    message: ({ directory, access, cause }: { directory: string; access: 'read' | 'written'; cause: string }) => `The clear journal in ${directory} cannot be ${access} (${cause}).`,
    details: journalUnavailableDetailsSchema,
  }),
  run_on_other_filesystem: spec({
    field: 'run_path',
    message: ({ runPath, folder }: { runPath: string; folder: string }) =>
      `${runPath} is not cleared: ${folder} is another filesystem mounted there (a mount point), and the service deletes only on ` +
      `the staging root's own filesystem, so nothing was deleted. Unmount it, or move its runs onto the staging volume.`,
    details: otherFilesystemDetailsSchema,
  }),
  staging_root_unavailable: spec({
    message: ({ why }: { why: string }) => `The staging root is unavailable: ${why}. Nothing was read or deleted.`,
  }),
  job_queue_full: spec({
    message: ({ limit }: { limit: number }) =>
      `${limit} jobs are already queued or running (jobs.max_pending); nothing was started. Send the request again once some have finished.`,
  }),
  shutting_down: spec({
    message: () => 'The service is shutting down; send the request again once it is back.',
  }),
  staging_permission_denied: spec({
    message: ({ path, code, uid, gid }: { path: string; code: string; uid: number; gid: number }) =>
      `This service (uid ${uid}, gid ${gid}) may not create or remove entries in ${path} (${code}), so nothing was deleted. ` +
      `Give that user write access to the staging tree, or run the service as the user that owns it.`,
    details: permissionDeniedDetailsSchema,
  }),
  ingest_unwritable: spec({
    message: ({ runPath, code }: { runPath: string; code: string }) =>
      `ingest.json of ${runPath} cannot be rewritten (${code}), so the clear was not recorded and nothing was deleted.`,
    details: writeFailedDetailsSchema,
  }),
  disk_full: spec({
    message: ({ runPath, code }: { runPath: string; code: string }) =>
      `The staging filesystem is full (${code}): ingest.json of ${runPath} could not record the clear, so nothing was deleted. Free some space and clear again.`,
    details: writeFailedDetailsSchema,
  }),
};

// What a clear, a run of a set, or a job can end with besides a refusal.
const UNEXPECTED_ERRORS = {
  internal_error: spec({
    message: ({ traceId }: { traceId?: string }) =>
      traceId
        ? `An unexpected error occurred; the service log has the details under trace id ${traceId}.`
        : 'An unexpected error occurred; see the service log.',
  }),
};

export const ERROR_TABLE = { ...CLEANUP_ERRORS, ...UNEXPECTED_ERRORS };

// An error table's entry, as the types below read it.
type AnyEntry = { message: (params: never) => unknown; details?: z.ZodType };
export type ParamsOf<E extends AnyEntry> = Parameters<E['message']>[0];
// What an entry's `details` must hold (never, for a code that carries none).
type DetailsOf<E extends AnyEntry> = E extends { details?: infer D } ? (D extends z.ZodType ? z.input<D> : never) : never;

type Table = typeof ERROR_TABLE;
export type CleanupErrorCode = keyof typeof CLEANUP_ERRORS;
// A refusal or an unexpected error: what a clear can end with.
export type OutcomeErrorCode = keyof Table;
export type ErrorParams<C extends OutcomeErrorCode> = ParamsOf<Table[C]>;
export type ErrorDetails<C extends OutcomeErrorCode> = DetailsOf<Table[C]>;

export const CLEANUP_ERROR_CODES = Object.keys(CLEANUP_ERRORS) as CleanupErrorCode[];
export const OUTCOME_ERROR_CODES = Object.keys(ERROR_TABLE) as [OutcomeErrorCode, ...OutcomeErrorCode[]];

// The documented shape of `details` for any of `codes` (in the table's
// order), or undefined when none of them carries details.
export function detailsSchemaIn<C extends string>(
  table: Readonly<Record<C, { details?: z.ZodType }>>,
  codes: readonly C[],
): z.ZodType | undefined {
  const shaped = (Object.keys(table) as C[]).filter((code) => codes.includes(code) && table[code].details);
  const schemas = [...new Set(shaped.map((code) => table[code].details as z.ZodType))];
  const [first, ...rest] = schemas;
  if (!first) return undefined;
  const described = `Details of ${shaped.join(', ')}.`;
  return rest.length === 0 ? first.describe(described) : z.union([first, ...rest]).describe(described);
}

export function detailsSchemaFor(codes: readonly OutcomeErrorCode[]): z.ZodType | undefined {
  return detailsSchemaIn(ERROR_TABLE, codes);
}
