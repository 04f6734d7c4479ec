// Before deleting: is what we delete what reached the NAS? (README "Checks before a clear".) The
// local check (manifest and mtimes) runs unless turned off; the NAS check
// (sizes, or checksums) only when configured. A refusal deletes nothing, and
// a check that fails for any reason refuses (fail closed).
import { byteString } from '../domain/entryName.ts';
import type { ErrorDetails } from '../domain/errorTable.ts';
import { CleanupError } from '../domain/errors.ts';
import type { IngestView } from '../domain/ingestSchema.ts';
import { manifestPathOf } from '../domain/manifest.ts';
import { locateNasCopy } from '../domain/nasMapping.ts';
import { PRE_CLEAR_REFUSALS, type PreClearRefusal } from '../domain/policy.ts';
import { latestVerification, verifiedAt } from '../domain/verification.ts';
import type { StuckFile, SyncRules, UnsyncedReport } from '../domain/syncCheck.ts';
import type { StagedRun } from '../storage/stagedRun.ts';
import type { TreeMeasure } from '../storage/engine/treeMeasure.ts';
import type { VerificationSightings } from '../storage/verificationSightings.ts';

export interface VerificationSettings {
  localManifest: boolean;
  mtimeToleranceSeconds: number;
  nas: 'off' | 'size' | 'checksum';
  nasMounts: Readonly<Record<string, string>>;
}

// The run's manifest relative to the run, as a byte string.
function manifestFileOf(view: IngestView): string {
  return byteString(manifestPathOf(latestVerification(view)?.checksum_file));
}

function unsyncedRefusal(runPath: string, report: UnsyncedReport): CleanupError | null {
  if (report.count === 0) return null;
  const shown = report.paths.map((item) => item.path);
  const inodeChanged = report.paths.some((item) => item.reason === 'inode_changed_after_verification');
  return new CleanupError('unsynced_files', { runPath, count: report.count, shown, inodeChanged }, {
    details: { unsynced: report.paths, unsynced_count: report.count },
  });
}

function surveyFailed(runPath: string, why: string, details: ErrorDetails<'survey_failed'> = {}): CleanupError {
  return new CleanupError('survey_failed', { runPath, why }, { details });
}

function manifestInvalid(runPath: string, message: string): CleanupError {
  return new CleanupError('manifest_invalid', { runPath, problem: message });
}

// What a survey, as far as it goes, says forbids clearing the run.
export function surveyRefusal(runPath: string, survey: TreeMeasure): CleanupError | null {
  const { problem } = survey;
  if (problem?.kind === 'unreadable') {
    return surveyFailed(runPath, `${problem.path} ${problem.why}`, {
      path: problem.path,
      error_code: problem.code,
    });
  }
  if (problem?.kind === 'manifest') return manifestInvalid(runPath, problem.message);
  if (problem?.kind === 'failed') return surveyFailed(runPath, problem.message);
  return survey.unsynced ? unsyncedRefusal(runPath, survey.unsynced) : null;
}

// The refusal as the policy ranks it among its reasons.
export function asPolicyRefusal(error: CleanupError | null): PreClearRefusal | undefined {
  const reason = PRE_CLEAR_REFUSALS.find((code) => code === error?.code);
  return error && reason ? { reason, message: error.message } : undefined;
}

type SurveyedRun = Pick<StagedRun, 'location' | 'survey' | 'nasCheck'>;

type Inspection =
  // The run as it is now: counts, directory stamps, unsynced files.
  | { survey: TreeMeasure; refusal: CleanupError | null }
  // A survey that failed outright: nothing is known of the run.
  | { survey: null; refusal: CleanupError };

export class PreClearCheck {
  constructor(
    private readonly settings: VerificationSettings,
    private readonly clock: () => Date,
    private readonly sightings: VerificationSightings,
  ) {}

  // The rules of the local check for the run at `runPath` now, or null when
  // the check is turned off. A verification cannot have happened later than
  // now: a time ahead of our clock (within the tolerance; beyond it the run
  // is refused) counts as now. Looking at a run verified notes when this
  // service first saw it so, for the inode test.
  async rulesFor(runPath: string, view: IngestView): Promise<SyncRules | null> {
    if (!this.settings.localManifest) return null;
    const verified = verifiedAt(view);
    return {
      manifestPath: manifestFileOf(view),
      verifiedAtMs: verified ? Math.min(verified.getTime(), this.clock().getTime()) : null,
      toleranceMs: this.settings.mtimeToleranceSeconds * 1000,
      seenVerifiedAtMs: await this.seenVerifiedAt(runPath, view),
      stuck: await this.stuckFiles(runPath, view),
    };
  }

  private async stuckFiles(runPath: string, view: IngestView): Promise<Record<string, StuckFile>> {
    const at = latestVerification(view)?.at;
    return at === undefined ? {} : this.sightings.stuckFiles(runPath, at);
  }

  // A run cleared whole: a new one staged at its path later is seen afresh.
  async forgetRun(runPath: string, view: IngestView): Promise<void> {
    const at = latestVerification(view)?.at;
    if (at !== undefined) await this.sightings.forget(runPath, at);
  }

  // Files this clear could not delete, remembered as they were, so that a
  // person mending them (chattr -i, chmod) does not make them late.
  async rememberStuck(runPath: string, view: IngestView, stuck: Readonly<Record<string, StuckFile>>): Promise<void> {
    const at = latestVerification(view)?.at;
    if (at !== undefined && Object.keys(stuck).length > 0) await this.sightings.noteStuck(runPath, at, stuck);
  }

  // Null where the record has no verification time (refused before any
  // deletion). A resumed clear keeps the test; files an earlier clear could
  // not delete are judged as they were then (rememberStuck).
  private async seenVerifiedAt(runPath: string, view: IngestView): Promise<number | null> {
    const at = latestVerification(view)?.at;
    return at === undefined ? null : this.sightings.firstSeen(runPath, at);
  }

  // Once the sightings this clear's judgement rests on are on disk (a
  // restart must not see the run verified later than this one did).
  sightingsKept(): Promise<void> {
    return this.sightings.durable();
  }

  // Surveys the run (the walk a clear then deletes from) and says what, if
  // anything, forbids clearing it: the survey itself, the local check, then
  // the NAS.
  async inspect(run: SurveyedRun, view: IngestView): Promise<Inspection> {
    const { location } = run;
    const rules = await this.rulesFor(location.runPath, view);
    let survey: TreeMeasure;
    try {
      survey = await run.survey(rules);
    } catch (error) {
      return { survey: null, refusal: surveyFailed(location.runPath, (error as Error).message) };
    }
    const refusal = surveyRefusal(location.runPath, survey);
    if (refusal || this.settings.nas === 'off') return { survey, refusal };
    return { survey, refusal: await this.nasRefusal(run, view, this.settings.nas) };
  }

  private async nasRefusal(run: SurveyedRun, view: IngestView, mode: 'size' | 'checksum'): Promise<CleanupError | null> {
    const { location } = run;
    const nasPath = latestVerification(view)?.nas_path;
    const unreachable = (why: string): CleanupError =>
      new CleanupError('nas_unreachable', { runPath: location.runPath, why }, { details: { nas_path: nasPath ?? null } });
    if (!nasPath) return unreachable('its sync_verified entry has no nas_path');
    const nas = locateNasCopy(nasPath, this.settings.nasMounts);
    if (!nas) return unreachable(`no nas_mounts entry maps ${nasPath} to a local mount`);
    const result = await run
      .nasCheck({ nasMountRoot: nas.mountRoot, nasRunPath: nas.runPath, mode, manifestPath: manifestFileOf(view) })
      .catch((error: unknown) => ({ status: 'unreachable' as const, message: `the check failed (${(error as Error).message})` }));
    if (result.status === 'same') return null;
    if (result.status === 'unreachable') return unreachable(result.message);
    if (result.status === 'manifest_invalid') return manifestInvalid(location.runPath, result.message);
    return new CleanupError(
      'nas_copy_mismatch',
      { runPath: location.runPath, nasDir: nas.runDir, count: result.count, mode },
      { details: { nas_path: nasPath, nas_dir: nas.runDir, differences: result.differences, difference_count: result.count } },
    );
  }
}
