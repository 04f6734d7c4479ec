// The `details` of the error codes that carry some, as schemas: the throw
// sites are typed by them and the OpenAPI document shows them.
import { z } from 'zod';

export const clearInProgressDetailsSchema = z
  .strictObject({
    holder: z
      .object({
        host: z.string().describe('host_label of the service that holds the run lock.'),
        pid: z.int().positive().describe('Its process id on that host.'),
        since: z.string().describe('When it took the lock (UTC, YYYY-MM-DDTHH:MM:SSZ).'),
      })
      .nullable()
      .describe('Null when the lock does not say (one being made, or left by an older version).'),
    takeover_at: z
      .string()
      .nullable()
      .describe(
        'When the lock will be taken over if its holder has died: its last refresh plus lock_stale_seconds (UTC, YYYY-MM-DDTHH:MM:SSZ). ' +
          'Null for a holder on this host, whose lock is taken over as soon as its process is gone.',
      ),
  })
  .meta({ id: 'ClearInProgressDetails' });

// A path inside a run as answers show it (entryName.ts).
const shownPath = {
  path: z.string().describe('Relative to the run, as UTF-8 when it is.'),
  escaped: z
    .literal(true)
    .optional()
    .describe('Present when the name is not UTF-8: each invalid byte is shown as \\xHH and each backslash as \\\\.'),
};

export const UNSYNCED_REASONS = [
  'not_in_manifest',
  'modified_after_verification',
  'inode_changed_after_verification',
  'manifest_invalid',
  'unverifiable',
] as const;
export const NAS_DIFFERENCES = ['missing_on_nas', 'size_differs', 'checksum_differs', 'unreadable'] as const;

export const clearIncompleteDetailsSchema = z
  .strictObject({
    files_freed: z.int(),
    bytes_freed: z.int(),
    left: z
      .array(z.strictObject({ ...shownPath, code: z.string().describe('The error met (EPERM, EBUSY, ...).') }))
      .describe('The first entries left, with their error.'),
    left_count: z.int(),
  })
  .meta({ id: 'ClearIncompleteDetails' });

export const unsyncedFilesDetailsSchema = z
  .strictObject({
    unsynced: z
      .array(z.strictObject({ ...shownPath, reason: z.enum(UNSYNCED_REASONS) }))
      .describe('The first such files, with why each is not known to be on the NAS.'),
    unsynced_count: z.int(),
  })
  .meta({ id: 'UnsyncedFilesDetails' });

export const verifiedTimeUnparsableDetailsSchema = z
  .strictObject({ verified_at_text: z.string().describe("The latest sync_verified entry's `at`, as written.") })
  .meta({ id: 'VerifiedTimeUnparsableDetails' });

export const surveyFailedDetailsSchema = z
  .strictObject({ path: z.string().optional(), error_code: z.string().optional() })
  .meta({ id: 'SurveyFailedDetails' });

export const otherFilesystemDetailsSchema = z
  .strictObject({ path: z.string().describe('The folder that is another filesystem mounted there.') })
  .meta({ id: 'OtherFilesystemDetails' });

export const nasUnreachableDetailsSchema = z.strictObject({ nas_path: z.string().nullable() }).meta({ id: 'NasUnreachableDetails' });

export const nasCopyMismatchDetailsSchema = z
  .strictObject({
    nas_path: z.string(),
    nas_dir: z.string(),
    differences: z
      .array(
        z.strictObject({
          ...shownPath,
          problem: z.enum(NAS_DIFFERENCES),
          local_size: z.int().optional(),
          nas_size: z.int().optional(),
        }),
      )
      .describe('The first differences.'),
    difference_count: z.int(),
  })
  .meta({ id: 'NasCopyMismatchDetails' });

export const journalUnavailableDetailsSchema = z
  .strictObject({ journal_dir: z.string(), error_code: z.string().nullable() })
  .meta({ id: 'JournalUnavailableDetails' });

export const stateDetailsSchema = z
  .strictObject({ current_state: z.string(), requested_state: z.string().optional() })
  .meta({ id: 'StateDetails' });

export const schemaMismatchDetailsSchema = z
  .strictObject({ expected: z.string(), found: z.unknown() })
  .meta({ id: 'SchemaMismatchDetails' });

export const ingestTooLargeDetailsSchema = z
  .strictObject({ size: z.int(), ingest_max_bytes: z.int() })
  .meta({ id: 'IngestTooLargeDetails' });

export const writeFailedDetailsSchema = z.strictObject({ error_code: z.string() }).meta({ id: 'WriteFailedDetails' });

export const permissionDeniedDetailsSchema = z
  .strictObject({
    path: z.string().describe('The folder the service may not write.'),
    error_code: z.string().describe('EACCES or EPERM (EPERM: e.g. an immutable folder).'),
    uid: z.int().describe('The user id the service runs as.'),
    gid: z.int().describe('Its group id.'),
  })
  .meta({ id: 'PermissionDeniedDetails' });

export const lockInvalidDetailsSchema = z
  .strictObject({
    lock_path: z.string().describe("The run lock's path (beside the run, named .<run>.staging-cleanup.lock)."),
    problem: z.string().describe('What stands there instead of a lock folder of this service.'),
  })
  .meta({ id: 'LockInvalidDetails' });

export const runNameTooLongDetailsSchema = z
  .strictObject({
    name_bytes: z.int().describe("The length of the run folder's name, in bytes."),
    max_name_bytes: z.int().describe('The longest name whose lock name fits in the 255 bytes a file name may have.'),
  })
  .meta({ id: 'RunNameTooLongDetails' });

export const inconsistentDetailsSchema = z
  .strictObject({
    current_state: z.string().describe("ingest.json's current_state."),
    latest_state: z.string().nullable().describe('The state of its latest history entry (null: the history is empty).'),
  })
  .meta({ id: 'IngestInconsistentDetails' });

export const verifiedInFutureDetailsSchema = z
  .strictObject({
    verified_at: z.string().describe('The latest sync_verified time (UTC).'),
    service_time: z.string().describe("This service's clock when it refused (UTC)."),
    tolerance_seconds: z.int().describe('verify_before_clear.mtime_tolerance_seconds: how far ahead it may be.'),
  })
  .meta({ id: 'VerifiedInFutureDetails' });
