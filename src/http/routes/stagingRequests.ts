// What the staging routes accept (query, body, headers, the run path) and
// the service refusals each can answer with, as schemas that validate and
// document (the handlers are in stagingRoutes.ts).
import { z } from 'zod';
import type { CleanupErrorCode } from '../../domain/errorTable.ts';
import { RUN_KINDS } from '../../domain/ingestSchema.ts';
import { LIFECYCLE_STATES } from '../../domain/lifecycle.ts';
import { MAX_RUN_PATH_LENGTH } from '../../domain/runPath.ts';
import { parseTimestamp } from '../../domain/timestamps.ts';
import { queryInteger } from './queryInteger.ts';

// Runs in one set: a job keeps each, with its result, until it is dropped.
const MAX_SET_SIZE = 1000;

export const runPathParams = z.object({
  run_path: z
    .string()
    .describe('The run path relative to staging_root (slashes raw or as %2F), or absolute under it.'),
});

export const dryRunQuery = z.strictObject({
  dry_run: z.stringbool().optional().describe('Say what would go, delete nothing.'),
});
export const dryRunBody = z.strictObject({ dry_run: z.boolean().optional() }).nullish();

export const clearSetBody = z
  .strictObject({
    run_paths: z
      .array(z.string().max(MAX_RUN_PATH_LENGTH))
      .min(1)
      .max(MAX_SET_SIZE)
      .optional()
      .describe(`At most ${MAX_SET_SIZE} run paths of at most ${MAX_RUN_PATH_LENGTH} characters.`),
    all_verified: z.literal(true).optional().describe('Every sync_verified run, and interrupted clears.'),
    dry_run: z.boolean().optional(),
  })
  .refine((body) => (body.run_paths === undefined) !== (body.all_verified === undefined), {
    message: 'send either run_paths (a list) or all_verified: true',
  });

export const listQuery = z.strictObject({
  state: z.enum(LIFECYCLE_STATES).optional(),
  eligible: z.stringbool().optional().describe('Only runs the sweep may (true) or may not (false) clear now.'),
  equipment_id: z.string().optional(),
  run_kind: z.enum(RUN_KINDS).optional(),
});

export const clearsQuery = z.strictObject({
  since: z
    .string()
    .refine((text) => parseTimestamp(text) !== null, 'must be a timestamp such as 2026-04-17T16:18:43Z')
    .optional(),
  limit: queryInteger(1, 1000, 100),
  offset: queryInteger(0, 1_000_000_000, 0).describe(
    "Skips this many of the newest records: the next page starts at the previous answer's next_offset.",
  ),
});

// The service's refusals each route can answer (plugins/documentedErrors.ts adds the
// codes of tokens, bodies and parameters).
export const ONE_RUN_ERRORS: CleanupErrorCode[] = [
  'invalid_run_path',
  'run_not_found',
  'ingest_invalid',
  'schema_major_mismatch',
  'staging_root_unavailable',
  'run_on_other_filesystem',
  'survey_failed',
];
export const CLEAR_REFUSALS: CleanupErrorCode[] = [
  ...ONE_RUN_ERRORS,
  'ingest_missing',
  'ingest_inconsistent',
  'staging_not_sync_verified',
  'missing_verified_timestamp',
  'verified_time_unparsable',
  'verified_in_future',
  'clear_in_progress',
  'lock_invalid',
  'run_name_too_long',
  'staging_permission_denied',
  'unsynced_files',
  'manifest_invalid',
  'survey_failed',
  'nas_copy_mismatch',
  'nas_unreachable',
  'clear_incomplete',
  'journal_unavailable',
  'ingest_unwritable',
  'disk_full',
  'shutting_down',
  'job_queue_full',
];

export const preferHeaders = z.looseObject({
  prefer: z
    .string()
    .optional()
    .describe('respond-async: answer 202 at once with a job (Location: /api/v1/jobs/{id}) and clear in the background.'),
});
