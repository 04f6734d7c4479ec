// What the journal keeps of one clear (README "How a clear stays safe"); the records of a
// run add up to everything that was removed from it.
import { z } from 'zod';
import { RUN_KINDS } from './ingestSchema.ts';

export const CLEAR_OUTCOMES = ['cleared', 'already_cleared', 'would_clear'] as const;

export const clearRecordSchema = z
  .object({
    run_path: z.string(),
    equipment_id: z.string().describe('The equipment folder the run lived in.'),
    project_name: z.string().describe("The project's display name, as ingest.json gave it."),
    run_kind: z.enum(RUN_KINDS).describe('From the folder the run lived in.'),
    nas_path: z.string().nullable(),
    verified_at: z.string().nullable(),
    cleared_at: z.string(),
    host: z.string(),
    actor: z.string(),
    files_freed: z.int().min(0),
    bytes_freed: z.int().min(0),
    duration_ms: z.int().min(0),
    outcome: z.enum(['cleared', 'clear_incomplete']),
    resumed: z.boolean().describe('True when this clear finished one that an earlier, interrupted clear began.'),
    volume_usage_before_percent: z
      .number()
      .optional()
      .describe('With actor pressure: how full the staging volume was (1 − avail / size, two decimals) before this clear.'),
    volume_usage_after_percent: z.number().optional().describe('With actor pressure: and after it.'),
  })
  .meta({ id: 'ClearRecord', description: 'One clear as the journal keeps it.' });

export type ClearRecord = z.infer<typeof clearRecordSchema>;
