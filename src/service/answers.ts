// The shapes the cleanup service answers with (README "The API at a glance"), as schemas: the
// HTTP layer validates, serializes and documents with these same objects.
import { z } from 'zod';
import { CLEAR_OUTCOMES, clearRecordSchema } from '../domain/clearRecord.ts';
import { detailsSchemaFor, type CleanupErrorCode } from '../domain/errorTable.ts';
import { OUTCOME_ERROR_CODES } from '../domain/errors.ts';
import { historyEntrySchema, RUN_KINDS } from '../domain/ingestSchema.ts';
import { LIFECYCLE_STATES } from '../domain/lifecycle.ts';
import { ORIGIN_FIELDS } from '../domain/runOrigin.ts';
import { DECISION_REASONS, type Decision } from '../domain/policy.ts';
import { ENTRY_TYPE_NAMES, FOLDER_PROBLEM_CODES } from '../storage/stagingScan.ts';

const timestamp = z.string().describe('UTC, YYYY-MM-DDTHH:MM:SSZ');
const RUN_PATH_TEXT =
  'Path relative to staging_root. A folder name that is not UTF-8 (or holds a backslash) is shown escaped: each invalid ' +
  'byte as \\xHH, each backslash as \\\\; send it back so, in any route, to name the same bytes.';
const ESCAPED = z.literal(true).describe('Present when some name in run_path is shown escaped.');

const decisionSchema = z
  .object({
    reason: z.enum(DECISION_REASONS).describe('One stable code; when several apply the first in this order wins.'),
    message: z.string().describe('The reason in words, for a person.'),
    clearable: z.boolean().describe('An operator may clear the run now.'),
    auto_clear_eligible: z.boolean().describe('The scheduled sweep may clear the run now.'),
    verified_at: timestamp.nullable().describe('Time of the latest sync_verified entry, when parsable.'),
    eligible_at: timestamp.nullable().describe('When the retain window ends (scheduled mode).'),
  })
  .meta({ id: 'Decision' }) satisfies z.ZodType<Decision>;

const runRowSchema = z
  .object({
    path: z.string().describe('Absolute path of the run folder.'),
    run_path: z.string().describe(RUN_PATH_TEXT),
    escaped: ESCAPED.optional(),
    current_state: z.enum(LIFECYCLE_STATES),
    equipment_id: z.string().describe("The equipment folder the run lives in (not ingest.json's claim)."),
    project_id: z.string().describe('The project folder the run lives in.'),
    project_name: z.string().describe("The project's display name, as ingest.json gives it."),
    run_kind: z.enum(RUN_KINDS).describe('From the folder the run lives in: Runs/ (or a legacy run) or TestRuns/.'),
    ingest_mismatch: z
      .array(z.enum(ORIGIN_FIELDS))
      .describe('The fields ingest.json states otherwise than the run\'s folders do (the folders win); empty when they agree.'),
    file_count: z
      .int()
      .describe("The run's data: files outside .exlab-wizard/ (the Wizard's panel count). Not what a clear frees."),
    byte_total: z.int().describe('Their bytes (lstat sizes).'),
    files_to_free: z
      .int()
      .describe(
        'What a clear would free: every non-directory entry under the run, .exlab-wizard/ included. ' +
          "A dry run's and a clear's files_freed and a job's files_total count the same way.",
      ),
    bytes_to_free: z
      .int()
      .describe('Their bytes (lstat sizes), ingest.json at its size before a clear records itself in it.'),
    elapsed_seconds_since_last_activity: z.int(),
    last_activity_at: timestamp.describe('Last history time, else the folder mtime.'),
    clearable: z.boolean(),
    auto_clear_eligible: z.boolean(),
    eligible_at: timestamp.nullable(),
    verified_at: timestamp.nullable(),
    reason: z.enum(DECISION_REASONS),
  })
  .meta({ id: 'RunRow', description: "A staged run: a superset of the Wizard's StagedRunRow." });

// What can be wrong with a run leaf the listing finds: an ingest.json that
// exists but cannot be used, or a run folder that cannot be read; and with a
// folder on the way to runs (stagingScan.ts): unreadable, a link, another
// filesystem, or an entry that is no folder at all.
export const RUN_PROBLEM_CODES = ['ingest_invalid', 'schema_major_mismatch', 'survey_failed'] as const satisfies readonly CleanupErrorCode[];
export type RunProblemCode = (typeof RUN_PROBLEM_CODES)[number];

const runProblemSchema = z
  .object({
    path: z.string(),
    run_path: z.string().describe(`${RUN_PATH_TEXT} For a folder problem, the folder's path.`),
    escaped: ESCAPED.optional(),
    code: z.enum([...RUN_PROBLEM_CODES, ...FOLDER_PROBLEM_CODES]),
    message: z.string(),
    error_code: z.string().optional().describe('What reading the folder met (EACCES, EIO, ...), for folder_unreadable.'),
    entry_type: z.enum(ENTRY_TYPE_NAMES).optional().describe('What the entry is, for not_a_folder.'),
  })
  .meta({
    id: 'RunProblem',
    description:
      'A run leaf whose ingest.json exists but cannot be used, or whose folder cannot be read; or an equipment, project, ' +
      'Runs/ or TestRuns/ folder that cannot be read (folder_unreadable), a link where such a folder or a run would be ' +
      '(folder_link), such a folder or a run folder that is another filesystem mounted there (folder_other_filesystem): ' +
      'the runs below it are neither listed nor cleared; or an entry that is not a folder (a file, FIFO, socket or device) ' +
      'in the staging root, an equipment, project, Runs/ or TestRuns/ folder (not_a_folder, with its entry_type).',
  });

export const runListingSchema = z.object({
  runs: z.array(runRowSchema),
  problems: z.array(runProblemSchema),
});

export const runDetailSchema = runRowSchema
  .extend({
    nas_path: z.string().nullable(),
    history: z.array(historyEntrySchema),
    eligibility: decisionSchema,
  })
  .meta({ id: 'RunDetail' });

export const eligibilitySchema = decisionSchema
  .extend({ run_path: z.string(), current_state: z.enum(LIFECYCLE_STATES) })
  .meta({ id: 'Eligibility' });

export const clearAnswerSchema = z
  .object({
    run_path: z.string(),
    outcome: z.enum(CLEAR_OUTCOMES),
    files_freed: z
      .int()
      .describe(
        'Non-directory entries this request removed (would remove, on a dry run): everything under the run, ' +
          "counted as a row's files_to_free.",
      ),
    bytes_freed: z
      .int()
      .describe(
        "Their lstat sizes, as a row's bytes_to_free: ingest.json counts at its size before the clear recorded itself in it.",
      ),
    cleared_at: timestamp.nullable(),
    duration_ms: z.int(),
    record: clearRecordSchema.optional().describe('With already_cleared: the journal record of the clear.'),
  })
  .meta({ id: 'ClearAnswer', description: "A superset of the Wizard's ClearResponse." });

const outcomeErrorCode = z.enum(OUTCOME_ERROR_CODES);

const runFailureSchema = z
  .object({
    run_path: z.string(),
    error: z.object({
      code: outcomeErrorCode.describe('The code the run alone would have been refused with.'),
      message: z.string(),
    }),
  })
  .meta({ id: 'RunFailure', description: 'A run of a set or sweep that was not cleared, and why.' });

// Why a job failed: the error its clear met, with its details.
export const jobErrorSchema = z
  .object({
    code: outcomeErrorCode,
    message: z.string(),
    details: (detailsSchemaFor(OUTCOME_ERROR_CODES) ?? z.never()).optional(),
  })
  .describe('Why a job failed.');

export const runResultsSchema = z.object({ results: z.array(z.union([clearAnswerSchema, runFailureSchema])) });

export type RunRow = z.infer<typeof runRowSchema>;
export type RunListing = z.infer<typeof runListingSchema>;
export type RunDetail = z.infer<typeof runDetailSchema>;
export type EligibilityAnswer = z.infer<typeof eligibilitySchema>;
export type ClearAnswer = z.infer<typeof clearAnswerSchema>;
export type RunFailure = z.infer<typeof runFailureSchema>;
export type RunResult = ClearAnswer | RunFailure;
