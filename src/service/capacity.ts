// The staging volume (README "Keeping the disk from filling"): how full it is (fstatvfs on the root),
// what the staged bytes are, when verified runs come due, how fast it
// fills (from samples kept in the journal folder), and whether it is full
// with nothing left the pressure sweep may clear: then health says so and
// one warning is logged per crossing, not per check.
import type { Logger } from 'pino';
import { capacityClassOf, totalsByClass } from '../domain/capacityClass.ts';
import { fillEstimate } from '../domain/fillRate.ts';
import type { PolicySettings } from '../domain/policy.ts';
import { isPastHighWater, pressureOrder, type PressureCandidate, type PressureSettings } from '../domain/pressurePlan.ts';
import { releaseForecast } from '../domain/releaseForecast.ts';
import { formatTimestamp, parseTimestamp } from '../domain/timestamps.ts';
import { bytesAbove, percentOf, usageOf, type VolumeStats } from '../domain/volume.ts';
import type { StagingRootGuard } from '../storage/stagingRootGuard.ts';
import { measureVolume } from '../storage/volumeStats.ts';
import type { VolumeSamples } from '../storage/volumeSamples.ts';
import type { CapacityAnswer, LargeRun, PressureStatus } from './capacityAnswer.ts';
import type { DecidedRuns } from './runQueries.ts';

const LARGEST_SHOWN = 5;

export interface VolumeCheck {
  ok: boolean;
  message: string;
  code?: 'staging_volume_full';
  largest_unverified?: LargeRun[];
}

interface CapacityDeps {
  root: StagingRootGuard;
  policy: PolicySettings;
  pressure: PressureSettings | null;
  decided: () => Promise<DecidedRuns>;
  samples: VolumeSamples;
  logger: Logger;
  clock: () => Date;
}

type DecidedRun = DecidedRuns['runs'][number];

export type Capacity = ReturnType<typeof createCapacity>;

export function pressureCandidateOf({ row, decision }: DecidedRun): PressureCandidate {
  return {
    run_path: row.run_path,
    current_state: row.current_state,
    verifiedAt: parseTimestamp(row.verified_at),
    bytes: row.bytes_to_free,
    // A verified run the listing already knows a clear would refuse.
    refusal: decision.clearable ? null : { reason: decision.reason, message: decision.message },
  };
}

function largestUnverified(runs: readonly DecidedRun[]): LargeRun[] {
  return runs
    .filter(({ row }) => capacityClassOf(row) === 'unverified')
    .map(({ row }) => ({
      run_path: row.run_path,
      current_state: row.current_state,
      reason: row.reason,
      bytes: row.bytes_to_free,
      files: row.files_to_free,
    }))
    .sort((a, b) => b.bytes - a.bytes || a.run_path.localeCompare(b.run_path))
    .slice(0, LARGEST_SHOWN);
}

export function createCapacity(deps: CapacityDeps) {
  const { pressure } = deps;
  // Runs the last pressure sweep tried and a clear refused: not counted as
  // room that can be made until a later sweep clears them.
  let refusedByLastSweep = new Set<string>();
  let wasFull = false;

  const measure = (): Promise<VolumeStats> => measureVolume(deps.root);

  const pressureStatus = (volume: VolumeStats): PressureStatus | null =>
    pressure && {
      high_water_percent: pressure.highWaterPercent,
      target_percent: pressure.targetPercent,
      min_retain_hours: pressure.minRetainHours,
      past_high_water: isPastHighWater(usageOf(volume), pressure),
      bytes_to_target: bytesAbove(volume, pressure.targetPercent / 100),
    };

  // Past the mark, and nothing left that the pressure sweep may clear.
  const isFull = (volume: VolumeStats, listing: DecidedRuns): boolean => {
    if (!pressure || !isPastHighWater(usageOf(volume), pressure)) return false;
    const { order } = pressureOrder(listing.runs.map(pressureCandidateOf), pressure, listing.now);
    return order.every((run) => refusedByLastSweep.has(run.run_path));
  };

  // Logs once when the volume becomes full, and once when it no longer is.
  const noteFull = (full: boolean, volume: VolumeStats, largest: readonly LargeRun[]): void => {
    if (full === wasFull) return;
    wasFull = full;
    const usedPercent = percentOf(usageOf(volume));
    if (full) {
      deps.logger.warn(
        { code: 'staging_volume_full', used_percent: usedPercent, largest_unverified: largest.map((run) => run.run_path) },
        'staging volume full: past the high-water mark and no verified run left to clear; get the largest unverified runs onto the NAS',
      );
    } else deps.logger.info({ used_percent: usedPercent }, 'staging volume no longer full');
  };

  const assess = async (volume: VolumeStats): Promise<{ listing: DecidedRuns; full: boolean; largest: LargeRun[] }> => {
    const listing = await deps.decided();
    const full = isFull(volume, listing);
    const largest = largestUnverified(listing.runs);
    noteFull(full, volume, largest);
    return { listing, full, largest };
  };

  return {
    measure,

    async answer(): Promise<CapacityAnswer> {
      const volume = await measure();
      const [{ listing, full, largest }, samples] = await Promise.all([assess(volume), deps.samples.all()]);
      const rows = listing.runs.map(({ row }) => ({ ...row, bytes: row.bytes_to_free, files: row.files_to_free }));
      const due = rows.flatMap((row) => {
        const eligibleAt = capacityClassOf(row) === 'retained' ? parseTimestamp(row.eligible_at) : null;
        return eligibleAt ? [{ eligibleAt, bytes: row.bytes }] : [];
      });
      return {
        measured_at: formatTimestamp(listing.now),
        volume: { ...volume, used_percent: percentOf(usageOf(volume)) },
        staged: totalsByClass(rows),
        forecast: { retain_hours: deps.policy.retainHours, ...releaseForecast(due, listing.now) },
        fill: fillEstimate(samples, listing.now),
        pressure: pressureStatus(volume),
        volume_full: full,
        largest_unverified: largest,
      };
    },

    // The staging_volume check of health: only a full volume fails it (the
    // service stays ready: it is what can make room).
    async check(): Promise<VolumeCheck> {
      const volume = await measure();
      const used = `${percentOf(usageOf(volume))}% of the staging volume used`;
      if (!pressure) return { ok: true, message: `${used} (no pressure.high_water_percent configured)` };
      if (!isPastHighWater(usageOf(volume), pressure)) {
        noteFull(false, volume, []);
        return { ok: true, message: `${used}, under the high-water mark of ${pressure.highWaterPercent}%` };
      }
      const { full, largest } = await assess(volume);
      if (!full) {
        return {
          ok: true,
          message: `${used}, past the high-water mark of ${pressure.highWaterPercent}%: the pressure sweep clears verified runs down to ${pressure.targetPercent}%`,
        };
      }
      const names = largest.map((run) => run.run_path).join(', ');
      return {
        ok: false,
        code: 'staging_volume_full',
        message: `${used}, past the high-water mark of ${pressure.highWaterPercent}%, and no verified run is left to clear: get the largest unverified runs onto the NAS${names ? `: ${names}` : ''}`,
        largest_unverified: largest,
      };
    },

    // A free-space sample for the fill rate.
    async sample(): Promise<void> {
      const volume = await measure();
      await deps.samples.add({
        at: formatTimestamp(deps.clock()),
        size_bytes: volume.size_bytes,
        free_bytes: volume.free_bytes,
        avail_bytes: volume.avail_bytes,
      });
    },

    // What the last pressure sweep could not clear.
    noteRefused(runPaths: Iterable<string>): void {
      refusedByLastSweep = new Set(runPaths);
    },
  };
}
