// The `details` of the error codes that carry some, as schemas: the throw
// sites are typed by them and the OpenAPI document shows them.
import { z } from 'zod';

export const clearInProgressDetailsSchema = z
  .object({
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

export const clearIncompleteDetailsSchema = z
  .object({
    files_freed: z.int(),
    bytes_freed: z.int(),
    left: z.array(z.object({ path: z.string(), code: z.string() }).loose()).describe('The first entries left, with their error.'),
    left_count: z.int(),
  })
  .meta({ id: 'ClearIncompleteDetails' });

export const unsyncedFilesDetailsSchema = z
  .object({
    unsynced: z.array(z.object({ path: z.string() }).loose()).describe('The first such files.'),
    unsynced_count: z.int(),
  })
  .meta({ id: 'UnsyncedFilesDetails' });

export const surveyFailedDetailsSchema = z
  .object({ path: z.string().optional(), error_code: z.string().optional() })
  .meta({ id: 'SurveyFailedDetails' });

export const nasUnreachableDetailsSchema = z.object({ nas_path: z.string().nullable() }).meta({ id: 'NasUnreachableDetails' });

export const nasCopyMismatchDetailsSchema = z
  .object({
    nas_path: z.string(),
    nas_dir: z.string(),
    differences: z.array(z.object({ path: z.string() }).loose()).describe('The first differences.'),
    difference_count: z.int(),
  })
  .meta({ id: 'NasCopyMismatchDetails' });

export const journalUnavailableDetailsSchema = z
  .object({ journal_dir: z.string(), error_code: z.string().nullable() })
  .meta({ id: 'JournalUnavailableDetails' });

export const stateDetailsSchema = z
  .object({ current_state: z.string(), requested_state: z.string().optional() })
  .meta({ id: 'StateDetails' });

export const schemaMismatchDetailsSchema = z
  .object({ expected: z.string(), found: z.unknown() })
  .meta({ id: 'SchemaMismatchDetails' });

export const ingestTooLargeDetailsSchema = z
  .object({ size: z.int(), ingest_max_bytes: z.int() })
  .meta({ id: 'IngestTooLargeDetails' });

export const writeFailedDetailsSchema = z.object({ error_code: z.string() }).meta({ id: 'WriteFailedDetails' });

export const validationDetailsSchema = z
  .object({ issues: z.array(z.object({ field: z.string(), message: z.string() })) })
  .meta({ id: 'ValidationDetails' });

export const permissionDeniedDetailsSchema = z
  .object({
    path: z.string().describe('The folder the service may not write.'),
    error_code: z.string().describe('EACCES or EPERM (EPERM: e.g. an immutable folder).'),
    uid: z.int().describe('The user id the service runs as.'),
    gid: z.int().describe('Its group id.'),
  })
  .meta({ id: 'PermissionDeniedDetails' });
