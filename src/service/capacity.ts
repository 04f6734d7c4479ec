// The staging volume (README "Keeping the disk from filling"): how full it is (fstatvfs on the root),
// what the staged bytes are, when verified runs come due (for the sweep, and
// for the pressure sweep), how fast it fills (from samples kept in the
// journal folder), and whether it is full with nothing left the pressure
// sweep may clear now: then health says so, and what an operator can still
// clear by hand, and the sampler logs one warning per crossing.
import type { Logger } from 'pino';
import { formatBytes } from '../domain/byteSize.ts';
import { capacityClassOf, totalsByClass } from '../domain/capacityClass.ts';
import { fillEstimate } from '../domain/fillRate.ts';
import type { PolicySettings } from '../domain/policy.ts';
import { isClearableOrResumable } from '../domain/lifecycle.ts';
import {
  isPastHighWater,
  pressureNotBefore,
  pressureOrder,
  type PressureCandidate,
  type PressureSettings,
} from '../domain/pressurePlan.ts';
import { releaseForecast, type ComingDue } from '../domain/releaseForecast.ts';
import { formatTimestamp, parseTimestamp } from '../domain/timestamps.ts';
import { bytesAbove, percentOf, usageOf, type VolumeStats } from '../domain/volume.ts';
import type { StagingRootGuard } from '../storage/stagingRootGuard.ts';
import { measureVolume } from '../storage/volumeStats.ts';
import type { VolumeSamples } from '../storage/volumeSamples.ts';
import type { CapacityAnswer, ClearableByHand, LargeRun, PressureStatus } from './capacityAnswer.ts';
import type { DecidedRuns } from './runQueries.ts';

const LARGEST_SHOWN = 5;

export interface VolumeCheck {
  ok: boolean;
  message: string;
  code?: 'staging_volume_full';
  largest_unverified?: LargeRun[];
  clearable_by_hand?: ClearableByHand;
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

  // Runs an operator may clear now (their row offers Clear), less those the
  // last pressure sweep tried and a clear refused, and when the pressure
  // sweep may take the first of them (min_retain_hours after its verification).
  const byHand = (listing: DecidedRuns): { due: ComingDue[]; summary: ClearableByHand } => {
    const runs = listing.runs.filter(
      ({ row, decision }) =>
        decision.clearable && isClearableOrResumable(row.current_state) && !refusedByLastSweep.has(row.run_path),
    );
    // When the pressure sweep may take each, soonest first.
    const due = pressure
      ? runs
          .flatMap(({ row }) => {
            const at = pressureNotBefore(parseTimestamp(row.verified_at), pressure);
            return at ? [{ eligibleAt: at, bytes: row.bytes_to_free }] : [];
          })
          .sort((a, b) => a.eligibleAt.getTime() - b.eligibleAt.getTime())
      : [];
    return {
      due,
      summary: {
        runs: runs.length,
        bytes: runs.reduce((sum, { row }) => sum + row.bytes_to_free, 0),
        pressure_sweep_at: due[0] ? formatTimestamp(due[0].eligibleAt) : null,
      },
    };
  };

  const assess = async (
    volume: VolumeStats,
  ): Promise<{ listing: DecidedRuns; full: boolean; largest: LargeRun[]; hand: ReturnType<typeof byHand> }> => {
    const listing = await deps.decided();
    const full = isFull(volume, listing);
    return { listing, full, largest: largestUnverified(listing.runs), hand: byHand(listing) };
  };

  // What health's staging_volume check says of a volume, and the capacity
  // answer repeats: only a full volume fails it. `assessed` (the listing) is
  // left out only under the mark, where no run needs looking at.
  const verdict = (volume: VolumeStats, assessed: Awaited<ReturnType<typeof assess>> | null): VolumeCheck => {
    const used = `${percentOf(usageOf(volume))}% of the staging volume used`;
    if (!pressure) return { ok: true, message: `${used} (no pressure.high_water_percent configured)` };
    if (!assessed || !isPastHighWater(usageOf(volume), pressure)) {
      return { ok: true, message: `${used}, under the high-water mark of ${pressure.highWaterPercent}%` };
    }
    const { full, largest, hand } = assessed;
    const past = `${used}, past the high-water mark of ${pressure.highWaterPercent}%`;
    if (!full) return { ok: true, message: `${past}: the pressure sweep clears verified runs down to ${pressure.targetPercent}%` };
    const failing = { ok: false, code: 'staging_volume_full' as const, largest_unverified: largest, clearable_by_hand: hand.summary };
    if (hand.summary.runs > 0) {
      const { runs, bytes, pressure_sweep_at: at } = hand.summary;
      const one = runs === 1;
      return {
        ...failing,
        message:
          `${past}, and the pressure sweep may clear nothing yet: full, but ${runs} ${one ? 'run' : 'runs'}, ${formatBytes(bytes)}, ` +
          `can be cleared by hand now` +
          (at ? `; the pressure sweep takes ${one ? 'it' : 'the first'} at ${at}, once verified ${pressure.minRetainHours} h ago` : ''),
      };
    }
    const names = largest.map((run) => run.run_path).join(', ');
    return {
      ...failing,
      message: `${past}, and no verified run is left to clear: get the largest unverified runs onto the NAS${names ? `: ${names}` : ''}`,
    };
  };

  return {
    measure,

    async answer(): Promise<CapacityAnswer> {
      const volume = await measure();
      const [assessed, samples] = await Promise.all([assess(volume), deps.samples.all()]);
      const { listing, full, largest, hand } = assessed;
      const rows = listing.runs.map(({ row }) => ({ ...row, bytes: row.bytes_to_free, files: row.files_to_free }));
      const due = rows.flatMap((row) => {
        const eligibleAt = capacityClassOf(row) === 'retained' ? parseTimestamp(row.eligible_at) : null;
        return eligibleAt ? [{ eligibleAt, bytes: row.bytes }] : [];
      });
      return {
        measured_at: formatTimestamp(listing.now),
        volume: { ...volume, used_percent: percentOf(usageOf(volume)) },
        volume_message: verdict(volume, assessed).message,
        staged: totalsByClass(rows),
        forecast: {
          retain_hours: deps.policy.retainHours,
          ...releaseForecast(due, listing.now),
          // Held back from the pressure sweep by min_retain_hours: when it may take them.
          pressure: pressure ? { min_retain_hours: pressure.minRetainHours, ...releaseForecast(hand.due, listing.now) } : null,
        },
        fill: fillEstimate(samples, listing.now),
        pressure: pressureStatus(volume),
        volume_full: full,
        clearable_by_hand: hand.summary,
        largest_unverified: largest,
      };
    },

    // The staging_volume check of health: only a full volume fails it (the
    // service stays ready: it is what can make room).
    async check(): Promise<VolumeCheck> {
      const volume = await measure();
      return verdict(volume, pressure && isPastHighWater(usageOf(volume), pressure) ? await assess(volume) : null);
    },

    // A free-space sample for the fill rate; a volume that became full (or
    // no longer is) since the last one is logged here, once per crossing,
    // not by the answers a panel or a scrape repeats.
    async sample(): Promise<void> {
      const volume = await measure();
      const past = pressure !== null && isPastHighWater(usageOf(volume), pressure);
      const assessed = past ? await assess(volume) : null;
      noteFull(assessed?.full ?? false, volume, assessed?.largest ?? []);
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
