// The shapes of the capacity answer and of a pressure sweep's report, as
// schemas: the HTTP layer validates, serializes and documents with them.
import { z } from 'zod';
import { CAPACITY_CLASSES } from '../domain/capacityClass.ts';
import { LIFECYCLE_STATES } from '../domain/lifecycle.ts';
import { DECISION_REASONS } from '../domain/policy.ts';
import { runResultsSchema } from './answers.ts';

const timestamp = z.string().describe('UTC, YYYY-MM-DDTHH:MM:SSZ');

const volumeSchema = z
  .object({
    size_bytes: z.number().describe('f_blocks × f_frsize of the volume holding staging_root.'),
    free_bytes: z.number().describe('f_bfree × f_frsize.'),
    avail_bytes: z.number().describe('f_bavail × f_frsize: what this service (not root) may still write.'),
    used_bytes: z.number().describe('size − free.'),
    used_percent: z
      .number()
      .describe('(1 − avail / size) × 100, two decimals: reserved blocks count as used, as in the dashboard and the alerts.'),
    total_inodes: z.number(),
    free_inodes: z.number(),
  })
  .meta({ id: 'Volume' });

const classTotalsSchema = z.object({ bytes: z.int(), files: z.int(), runs: z.int() });

const largeRunSchema = z.object({
  run_path: z.string(),
  current_state: z.enum(LIFECYCLE_STATES),
  reason: z.enum(DECISION_REASONS),
  bytes: z.int(),
  files: z.int(),
});

const forecastHoursSchema = z.array(z.object({ starts_at: timestamp, bytes: z.int(), runs: z.int() }));

export const clearableByHandSchema = z
  .object({
    runs: z.int(),
    bytes: z.int().describe('What clearing them frees (bytes_to_free).'),
    pressure_sweep_at: timestamp
      .nullable()
      .describe('When the pressure sweep may take the first of them (min_retain_hours after its verification); null without a pressure policy.'),
  })
  .describe('Runs an operator may clear now (their row offers Clear), less those the last pressure sweep found a clear refuses.');

export const pressureStatusSchema = z
  .object({
    high_water_percent: z.int(),
    target_percent: z.int(),
    min_retain_hours: z.int(),
    past_high_water: z.boolean(),
    bytes_to_target: z.int().describe('Bytes to free for usage to come down to the target (0 when at or under it).'),
  })
  .describe('The disk-pressure policy as configured, and where the volume stands.');

export const capacitySchema = z
  .object({
    measured_at: timestamp,
    volume: volumeSchema,
    volume_message: z
      .string()
      .describe("How full the volume is and what can be done, in one line: health's staging_volume message."),
    staged: z
      .object(Object.fromEntries(CAPACITY_CLASSES.map((name) => [name, classTotalsSchema])) as Record<
        (typeof CAPACITY_CLASSES)[number],
        typeof classTotalsSchema
      >)
      .describe(
        'Staged runs by class, counted as a clear frees them (bytes_to_free, files_to_free): clearable (an operator or ' +
          'the sweep may clear them now), retained (verified, inside the retain window), unverified (not verified, or ' +
          'held back by a pre-clear check: only getting them onto the NAS frees them), interrupted (clears to finish).',
      ),
    forecast: z
      .object({
        retain_hours: z.int(),
        hours: forecastHoursSchema.describe(
          '168 hours from the clock hour holding measured_at: the bytes of retained runs whose retain window ends in each.',
        ),
        later_bytes: z.int().describe('Retained bytes that come due after the last hour.'),
        later_runs: z.int(),
        pressure: z
          .object({
            min_retain_hours: z.int(),
            hours: forecastHoursSchema.describe(
              'The same hours: the bytes of runs clearable by hand whose min_retain_hours ends in each, from when the pressure sweep may take them.',
            ),
            later_bytes: z.int(),
            later_runs: z.int(),
          })
          .nullable()
          .describe('When the pressure sweep may take runs it holds back now, should the volume be past its high-water mark then; null without a pressure policy.'),
      })
      .describe('When verified runs come due for the scheduled sweep (none in manual mode), and for the pressure sweep.'),
    fill: z
      .object({
        window_hours: z.number().describe('The span of the samples the rate is taken over (0 when too few).'),
        samples: z.int(),
        bytes_per_hour: z.number().nullable().describe('How fast available space shrinks (negative: it grows).'),
        hours_to_full: z.number().nullable(),
        full_at: timestamp.nullable(),
        filling: z.boolean(),
        message: z.string().describe("e.g. \"at the last 6 h's rate, full in 31 h\", or \"not filling\"."),
      })
      .describe('How fast the volume fills, from free-space samples taken every 5 minutes and kept across restarts.'),
    pressure: pressureStatusSchema.nullable().describe('Null when no pressure policy is configured.'),
    volume_full: z
      .boolean()
      .describe('Past the high-water mark with no verified run left that the pressure sweep may clear now (clearable_by_hand says what an operator still can).'),
    clearable_by_hand: clearableByHandSchema,
    largest_unverified: z.array(largeRunSchema).describe('The largest runs only getting them onto the NAS can free, largest first.'),
  })
  .meta({ id: 'Capacity', description: 'The staging volume: size, what fills it, what can be freed and when.' });

const skipSchema = z.object({ run_path: z.string(), reason: z.string(), message: z.string() });

export const pressureReportSchema = z
  .object({
    dry_run: z.boolean(),
    high_water_percent: z.int(),
    target_percent: z.int(),
    usage_before_percent: z.number(),
    usage_after_percent: z
      .number()
      .describe('Measured after the last clear; on a dry run, estimated from what the clears would free.'),
    reached_target: z.boolean(),
    bytes_freed: z.int().describe('Freed (on a dry run: would be freed) by the clears below.'),
    results: runResultsSchema.shape.results.describe('The runs cleared (would be cleared), oldest verification first.'),
    skipped: z.array(skipSchema).describe('Verified runs it did not clear, and why (min_retain_window, or the refusal a manual clear meets).'),
  })
  .meta({ id: 'PressureReport', description: 'What a pressure sweep cleared (or would clear) to bring the volume down to its target.' });

export type CapacityAnswer = z.infer<typeof capacitySchema>;
export type PressureStatus = z.infer<typeof pressureStatusSchema>;
export type PressureReport = z.infer<typeof pressureReportSchema>;
export type LargeRun = z.infer<typeof largeRunSchema>;
export type ClearableByHand = z.infer<typeof clearableByHandSchema>;
