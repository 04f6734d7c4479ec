// The disk-pressure sweep (README "Keeping the disk from filling", opt-in with pressure.*): past the
// high-water mark, clears verified runs oldest-verified first until usage is
// at or under the target. Each run goes through the manual clear's own path
// (clearForResult: the lock, the re-read, every pre-clear check), so a run a
// manual clear would refuse is skipped with that refusal and never deleted.
// The volume is measured again after each clear; a dry run estimates it
// from what each clear would free.
import type { Logger } from 'pino';
import { CleanupError } from '../domain/errors.ts';
import { isAtTarget, isPastHighWater, pressureOrder, type PressureSettings } from '../domain/pressurePlan.ts';
import { afterFreeing, percentOf, usageOf, type VolumeStats } from '../domain/volume.ts';
import type { RunResult } from './answers.ts';
import { pressureCandidateOf, type Capacity } from './capacity.ts';
import type { PressureReport } from './capacityAnswer.ts';
import type { ClearOptions } from './clearOptions.ts';
import type { Clears } from './clears.ts';
import type { DecidedRuns } from './runQueries.ts';

// The actor of every pressure clear in the journal and the logs.
export const PRESSURE_ACTOR = 'pressure';

interface PressureSweepDeps {
  settings: PressureSettings | null;
  capacity: Pick<Capacity, 'measure' | 'noteRefused'>;
  decided: () => Promise<DecidedRuns>;
  clears: Pick<Clears, 'clearForResult' | 'exclusively'>;
  logger: Logger;
}

export type PressureSweep = ReturnType<typeof createPressureSweep>;

export function createPressureSweep(deps: PressureSweepDeps) {
  const usagePercent = async (): Promise<number> => percentOf(usageOf(await deps.capacity.measure()));

  const relieve = async (settings: PressureSettings, options: ClearOptions): Promise<PressureReport> => {
    const before = await deps.capacity.measure();
    const dryRun = options.dryRun === true;
    const results: RunResult[] = [];
    let volume: VolumeStats = before;
    let freed = 0;
    const { order, skipped } = isPastHighWater(usageOf(before), settings)
      ? await deps.decided().then((listing) => pressureOrder(listing.runs.map(pressureCandidateOf), settings, listing.now))
      : { order: [], skipped: [] };
    const refused: string[] = [];
    const clearOptions: ClearOptions = { ...options, actor: PRESSURE_ACTOR, volumeUsage: usagePercent };
    for (const run of order) {
      if (isAtTarget(usageOf(volume), settings)) break;
      const result = await deps.clears.clearForResult(run.run_path, clearOptions);
      if ('error' in result) {
        skipped.push({ run_path: run.run_path, reason: result.error.code, message: result.error.message });
        refused.push(run.run_path);
        continue;
      }
      results.push(result);
      freed += result.bytes_freed;
      volume = dryRun ? afterFreeing(before, freed) : await deps.capacity.measure();
    }
    if (!dryRun) deps.capacity.noteRefused(refused);
    return {
      dry_run: dryRun,
      high_water_percent: settings.highWaterPercent,
      target_percent: settings.targetPercent,
      usage_before_percent: percentOf(usageOf(before)),
      usage_after_percent: percentOf(usageOf(volume)),
      reached_target: isAtTarget(usageOf(volume), settings),
      bytes_freed: freed,
      results,
      skipped,
    };
  };

  const log = (report: PressureReport, options: ClearOptions): void => {
    if (report.usage_before_percent <= report.high_water_percent && report.results.length === 0) return;
    const { results, skipped, ...facts } = report;
    (options.logger ?? deps.logger)[report.reached_target ? 'info' : 'warn'](
      { ...facts, runs: results.length, skipped: skipped.map(({ run_path, reason }) => ({ run_path, reason })), requested_by: options.actor },
      report.reached_target ? 'pressure sweep finished' : 'pressure sweep could not bring the staging volume down to its target',
    );
  };

  // Throws pressure_not_configured without the policy, sweep_in_progress
  // while another sweep runs.
  return async (options: ClearOptions): Promise<PressureReport> => {
    const { settings } = deps;
    if (!settings) throw new CleanupError('pressure_not_configured');
    const report = await deps.clears.exclusively(() => relieve(settings, options));
    log(report, options);
    return report;
  };
}
