// Clearing one run (README "How a clear stays safe") as the policy it is:
// resolve the path, then, with the run locked and re-read (stagedRun.ts owns
// the descriptors, the lock and the errno codes), check, record the intent
// in ingest.json, remove (counting), journal and log.
import type { Logger } from 'pino';
import type { ClearRecord } from '../domain/clearRecord.ts';
import { CleanupError } from '../domain/errors.ts';
import type { IngestRecord } from '../domain/ingestRecord.ts';
import type { PolicySettings } from '../domain/policy.ts';
import { distrustError, recordRefusal } from '../domain/recordTrust.ts';
import { resolveRunPath, type RunLocation } from '../domain/runPath.ts';
import { formatTimestamp } from '../domain/timestamps.ts';
import type { Journal } from '../storage/journal.ts';
import type { StagingRootGuard } from '../storage/stagingRootGuard.ts';
import {
  Busy,
  GONE,
  type DeleteProgress,
  type IngestFile,
  type LockedRun,
  type StagedRun,
  type StagedRuns,
  type TreeMeasure,
} from '../storage/stagedRun.ts';
import type { ClearAnswer } from './answers.ts';
import { clearRecordOf, codeAndMessage, incomplete, keepRecord } from './clearEnding.ts';
import type { ClearOptions } from './clearOptions.ts';
import { clearInProgress } from './lockBusy.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { PreClearCheck } from './preClearCheck.ts';
import type { ServiceEventMap, ServiceEvents } from './serviceEvents.ts';

// How a clear ended: its answer, or the refusal it met, and the journal
// record it kept (a partial clear keeps one too).
type Ending = { answer: ClearAnswer; record: ClearRecord | null } | { failure: unknown; record: ClearRecord | null };

interface RunClearerDeps {
  stagingRoot: string;
  hostLabel: string;
  policy: PolicySettings;
  runs: StagedRuns;
  journal: Journal;
  rootGuard: StagingRootGuard;
  lifecycle: Pick<Lifecycle, 'track'>;
  events: ServiceEvents;
  logger: Logger;
  clock: () => Date;
  check: PreClearCheck;
}

export class RunClearer {
  constructor(private readonly deps: RunClearerDeps) {}

  // The one way out of a clear: its answer, or the refusal thrown; either is
  // announced (clear_done) unless it was a dry run. A stopping service takes
  // no clear; one it took, it lets finish.
  clear(requested: string, options: ClearOptions): Promise<ClearAnswer> {
    return this.deps.lifecycle.track(() => this.clearTracked(requested, options));
  }

  private async clearTracked(requested: string, options: ClearOptions): Promise<ClearAnswer> {
    await this.deps.rootGuard.ensureAvailable();
    const startedAt = performance.now();
    const location = resolveRunPath(requested, this.deps.stagingRoot);
    if (options.dryRun) {
      const answer = await this.deps.runs.opened(location, (run) => this.dryRun(run, startedAt));
      return answer === GONE ? this.alreadyGone(location, startedAt) : answer;
    }
    const ending = await this.clearLocated(location, options, startedAt).catch(
      (failure: unknown): Ending => ({ failure, record: null }),
    );
    if ('failure' in ending) {
      this.announce(location, options, { answer: null, error: codeAndMessage(ending.failure), record: ending.record });
      throw ending.failure;
    }
    this.announce(location, options, { answer: ending.answer, error: null, record: ending.record });
    return ending.answer;
  }

  private async clearLocated(location: RunLocation, options: ClearOptions, startedAt: number): Promise<Ending> {
    const ending = await this.deps.runs.locked(location, (run) => this.clearLocked(run, options, startedAt));
    if (ending === GONE) return { answer: await this.alreadyGone(location, startedAt), record: null };
    if (ending instanceof Busy) throw clearInProgress(location.runPath, ending.holder);
    return ending;
  }

  // The policy of a clear, on a run whose lock is held: check, record the
  // intent, remove, record the ending.
  private async clearLocked(run: LockedRun, options: ClearOptions, startedAt: number): Promise<Ending> {
    const { location } = run;
    const ingest = await this.readClearable(run);
    const { record } = ingest;
    const survey = await this.surveySafe(run, record);
    const writer = await this.deps.journal.openWriter();
    try {
      const resumed = record.view.current_state === 'cleared';
      const usageBefore = await options.volumeUsage?.().catch(() => undefined);
      // Freed bytes count ingest.json as the survey (and a dry run) saw it,
      // not as the clear itself grew it.
      const rules = await this.deps.check.rulesFor(location.runPath, record.view);
      // A sighting that cannot be written (a full journal volume) still holds
      // in this process; only a restart would see the run verified later.
      await this.deps.check.sightingsKept().catch((error: unknown) =>
        (options.logger ?? this.deps.logger).warn({ err: error, run_path: location.runPath }, 'when the run was first seen verified is not on disk'),
      );
      const grownBy = resumed ? 0 : (await this.recordIntent(run, record, options.actor)) - ingest.stamp.size;
      const removed = await run.remove(survey, rules, (progress) =>
        this.progress(location, options, progress, survey.files),
      );
      const complete = removed.leftCount === 0 && !removed.stopped;
      // Best effort: without it, a mended file is only judged more strictly,
      // and a new run at this path with the same verification time more so.
      await (complete
        ? this.deps.check.forgetRun(location.runPath, record.view)
        : this.deps.check.rememberStuck(location.runPath, record.view, removed.stuck)
      ).catch((error: unknown) =>
        (options.logger ?? this.deps.logger).warn({ err: error, run_path: location.runPath }, 'what was seen of the run not kept on disk'),
      );
      // A complete clear removed ingest.json, whose growth is then taken off
      // (and the last progress says so, to agree with the answer).
      const deleted = complete ? { ...removed, bytes: removed.bytes - grownBy } : removed;
      if (grownBy !== 0 && complete) this.progress(location, options, deleted, survey.files);
      const clearedAt = formatTimestamp(this.deps.clock());
      // Never at the cost of the record: an unmeasured volume leaves usage out.
      const usageAfter = await options.volumeUsage?.().catch(() => undefined);
      const durationMs = Math.round(performance.now() - startedAt);
      const journalRecord = clearRecordOf(location, record, this.deps.hostLabel, options.actor, deleted, {
        clearedAt,
        durationMs,
        resumed,
        complete,
        ...(usageBefore === undefined || usageAfter === undefined ? {} : { usage: { before: usageBefore, after: usageAfter } }),
      });
      const kept = deleted.files > 0 || complete ? journalRecord : null;
      if (kept && !(await keepRecord(writer, kept, options.logger ?? this.deps.logger))) {
        this.deps.events.emit('journal_write_failed', { run_path: location.runPath });
      }
      if (!complete) return { failure: incomplete(location, deleted, run.lockLost()), record: kept };
      const answer: ClearAnswer = {
        run_path: location.runPath,
        outcome: 'cleared',
        files_freed: deleted.files,
        bytes_freed: deleted.bytes,
        cleared_at: clearedAt,
        duration_ms: durationMs,
      };
      return { answer, record: kept };
    } finally {
      await writer.close();
    }
  }

  private progress(location: RunLocation, options: ClearOptions, progress: DeleteProgress, total: number): void {
    const update = {
      run_path: location.runPath,
      files_freed: progress.files,
      bytes_freed: progress.bytes,
      files_total: total,
    };
    options.observer?.progress?.(update);
    this.deps.events.emit('clear_progress', { ...update, job_id: options.observer?.jobId ?? null });
  }

  // Re-read under the lock (step 3): only a record that can be believed, of
  // a sync_verified run or one whose earlier clear was interrupted, lets the
  // run be deleted.
  private async readClearable(run: StagedRun): Promise<IngestFile> {
    const { runPath } = run.location;
    const ingest = await run.readIngest();
    if (!ingest) throw new CleanupError('ingest_missing', { runPath });
    const refusal = recordRefusal(ingest.record.view, this.deps.clock(), this.deps.policy.clockToleranceSeconds);
    if (refusal?.reason === 'not_sync_verified') {
      throw new CleanupError('staging_not_sync_verified', { runPath, state: refusal.state }, { details: { current_state: refusal.state } });
    }
    if (refusal) throw distrustError(refusal);
    return ingest;
  }

  // README "Checks before a clear": nothing is deleted unless what goes is what reached the NAS.
  // The survey that shows it is the one the deletion then works from.
  private async surveySafe(run: StagedRun, record: IngestRecord): Promise<TreeMeasure> {
    const inspection = await this.deps.check.inspect(run, record.view);
    if (inspection.survey === null) throw inspection.refusal;
    if (inspection.refusal) throw inspection.refusal;
    return inspection.survey;
  }

  // Answers the size of ingest.json once it records the clear.
  private async recordIntent(run: LockedRun, record: IngestRecord, actor: string): Promise<number> {
    const size = await run.appendTransition(record, {
      state: 'cleared',
      at: formatTimestamp(this.deps.clock()),
      host: this.deps.hostLabel,
      actor,
    });
    this.deps.events.emit('run_state', { run_path: run.location.runPath, from: record.view.current_state, to: 'cleared' });
    return size;
  }

  // What the clear would answer: the same refusals, or what it would free.
  private async dryRun(run: StagedRun, startedAt: number): Promise<ClearAnswer> {
    const denied = await run.writeRefusal();
    if (denied) throw denied;
    const survey = await this.surveySafe(run, (await this.readClearable(run)).record);
    return {
      run_path: run.location.runPath,
      outcome: 'would_clear',
      files_freed: survey.files,
      bytes_freed: survey.bytes,
      cleared_at: null,
      duration_ms: Math.round(performance.now() - startedAt),
    };
  }

  // A run that is not there: cleared earlier if the journal says so.
  private async alreadyGone(location: RunLocation, startedAt: number): Promise<ClearAnswer> {
    // A clear still holding the lock may be finishing it: folder gone, record
    // not yet written. The lock goes only after the record, so look first.
    const busy = await this.deps.runs.busyWith(location);
    if (busy) throw clearInProgress(location.runPath, busy.holder);
    const record = await this.deps.journal.latestFor(location.runPath);
    if (!record) {
      throw new CleanupError('run_not_found', { runPath: location.runPath });
    }
    return {
      run_path: location.runPath,
      outcome: 'already_cleared',
      files_freed: 0,
      bytes_freed: 0,
      cleared_at: record.cleared_at,
      duration_ms: Math.round(performance.now() - startedAt),
      record,
    };
  }

  private announce(
    location: RunLocation,
    options: ClearOptions,
    result: Pick<ServiceEventMap['clear_done'], 'answer' | 'error' | 'record'>,
  ): void {
    this.deps.events.emit('clear_done', {
      run_path: location.runPath,
      job_id: options.observer?.jobId ?? null,
      actor: options.actor,
      ...result,
    });
  }
}
