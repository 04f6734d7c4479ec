// Before deleting: is what we delete what reached the NAS? (DESIGN §4a.) The
// local check (manifest and mtimes) runs unless turned off; the NAS check
// (sizes, or checksums) only when configured. A refusal deletes nothing.
import { CleanupError } from '../domain/errors.ts';
import type { IngestView } from '../domain/ingestSchema.ts';
import { manifestPathOf } from '../domain/manifest.ts';
import { locateNasCopy } from '../domain/nasMapping.ts';
import { verifiedAt, type VerificationRefusal } from '../domain/policy.ts';
import type { RunLocation } from '../domain/runPath.ts';
import { describeUnsynced, type SyncRules, type UnsyncedReport } from '../domain/syncCheck.ts';
import type { TreeMeasure } from '../storage/treeMeasure.ts';
import type { TreeRunner } from '../storage/treeRunner.ts';

export interface VerificationSettings {
  localManifest: boolean;
  mtimeToleranceSeconds: number;
  nas: 'off' | 'size' | 'checksum';
  nasMounts: Readonly<Record<string, string>>;
}

export const DEFAULT_VERIFICATION: VerificationSettings = {
  localManifest: true,
  mtimeToleranceSeconds: 300,
  nas: 'off',
  nasMounts: {},
};

function latestVerification(view: IngestView) {
  return view.history.findLast((entry) => entry.state === 'sync_verified');
}

function manifestFileOf(location: RunLocation, view: IngestView): string {
  return `${location.absolutePath}/${manifestPathOf(latestVerification(view)?.checksum_file)}`;
}

// The rules of the local check for a run, or null when it is turned off.
export function syncRulesFor(location: RunLocation, view: IngestView, settings: VerificationSettings): SyncRules | null {
  if (!settings.localManifest) return null;
  return {
    manifestPath: manifestFileOf(location, view),
    verifiedAtMs: verifiedAt(view)?.getTime() ?? null,
    toleranceMs: settings.mtimeToleranceSeconds * 1000,
  };
}

export function unsyncedRefusal(runPath: string, report: UnsyncedReport): CleanupError | null {
  if (report.count === 0) return null;
  return new CleanupError('unsynced_files', describeUnsynced(runPath, report), {
    details: { unsynced: report.paths, unsynced_count: report.count },
  });
}

// The refusal as the policy ranks it among its reasons.
export function asPolicyRefusal(error: CleanupError | null): VerificationRefusal | undefined {
  if (!error) return undefined;
  const reason = error.code;
  if (reason !== 'unsynced_files' && reason !== 'nas_copy_mismatch' && reason !== 'nas_unreachable') return undefined;
  return { reason, message: error.message };
}

export interface Inspection {
  // The run as it is now: counts, directory stamps, unsynced files.
  survey: TreeMeasure;
  refusal: CleanupError | null;
}

export class PreClearCheck {
  constructor(
    private readonly runner: TreeRunner,
    private readonly settings: VerificationSettings,
  ) {}

  rulesFor(location: RunLocation, view: IngestView): SyncRules | null {
    return syncRulesFor(location, view, this.settings);
  }

  // Surveys the run (the walk a clear deletes from) and says what, if
  // anything, forbids clearing it: the local check first, then the NAS.
  async inspect(location: RunLocation, view: IngestView): Promise<Inspection> {
    const rules = this.rulesFor(location, view);
    const survey = await this.runner.survey(location.absolutePath, rules ?? undefined);
    const unsynced = survey.unsynced ? unsyncedRefusal(location.runPath, survey.unsynced) : null;
    if (unsynced || this.settings.nas === 'off') return { survey, refusal: unsynced };
    return { survey, refusal: await this.nasRefusal(location, view, this.settings.nas) };
  }

  private async nasRefusal(
    location: RunLocation,
    view: IngestView,
    mode: 'size' | 'checksum',
  ): Promise<CleanupError | null> {
    const nasPath = latestVerification(view)?.nas_path;
    const unreachable = (why: string): CleanupError =>
      new CleanupError('nas_unreachable', `The NAS copy of ${location.runPath} cannot be checked: ${why}. Nothing was deleted.`, {
        details: { nas_path: nasPath ?? null },
      });
    if (!nasPath) return unreachable('its sync_verified entry has no nas_path');
    const nas = locateNasCopy(nasPath, this.settings.nasMounts);
    if (!nas) return unreachable(`no nas_mounts entry maps ${nasPath} to a local mount`);
    const result = await this.runner.nasCheck({
      runDir: location.absolutePath,
      nasMountRoot: nas.mountRoot,
      nasRunDir: nas.runDir,
      mode,
      manifestPath: manifestFileOf(location, view),
    });
    if (result.status === 'same') return null;
    if (result.status === 'unreachable') return unreachable(result.message);
    return new CleanupError(
      'nas_copy_mismatch',
      `The NAS copy of ${location.runPath} at ${nas.runDir} differs from staging in ${result.count} file${result.count === 1 ? '' : 's'} (${mode} check). Nothing was deleted.`,
      { details: { nas_path: nasPath, nas_dir: nas.runDir, differences: result.differences, difference_count: result.count } },
    );
  }
}
