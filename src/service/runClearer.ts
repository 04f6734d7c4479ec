// Clearing one run (README "How a clear stays safe"): resolve, lock, re-read, record the
// intent in ingest.json, delete (counting), journal and log. Under the lock
// the run is opened once (runDirectory.ts) and every later step, in this
// thread or a worker, goes through that descriptor. One cohesive flow, kept
// in one file (about 270 lines) so that the order of the steps reads top down.
import path from 'node:path';
import type { Logger } from 'pino';
import type { ClearRecord } from '../domain/clearRecord.ts';
import { CleanupError } from '../domain/errors.ts';
import type { IngestRecord } from '../domain/ingestRecord.ts';
import type { PolicySettings } from '../domain/policy.ts';
import { distrustError, recordRefusal } from '../domain/recordTrust.ts';
import { resolveRunPath, type RunLocation } from '../domain/runPath.ts';
import { formatTimestamp } from '../domain/timestamps.ts';
import { appendTransition, readIngest, type IngestFile } from '../storage/ingestStore.ts';
import type { Journal } from '../storage/journal.ts';
import { errorCode } from '../storage/dirHandle.ts';
import { openRun, type OpenRun } from '../storage/runDirectory.ts';
import { isPermissionError, permissionDenied, permissionRefusal } from '../storage/writeAccess.ts';
import type { HeldRunLock, RunLocks } from '../storage/runLock.ts';
import type { DeleteProgress } from '../storage/engine/deleteTally.ts';
import type { TreeMeasure } from '../storage/engine/treeMeasure.ts';
import type { TreeRunner } from '../storage/engine/treeRunner.ts';
import type { ClearAnswer } from './answers.ts';
import { clearRecordOf, codeAndMessage, incomplete, keepRecord } from './clearEnding.ts';
import type { ClearOptions } from './clearOptions.ts';
import { clearInProgress } from './lockBusy.ts';
import type { PreClearCheck } from './preClearCheck.ts';
import type { ServiceEventMap, ServiceEvents } from './serviceEvents.ts';

// How a clear ended: its answer, or the refusal it met, and the journal
// record it kept (a partial clear keeps one too).
type Ending = { answer: ClearAnswer; record: ClearRecord | null } | { failure: unknown; record: ClearRecord | null };

interface RunClearerDeps {
  stagingRoot: string;
  hostLabel: string;
  policy: PolicySettings;
  locks: RunLocks;
  journal: Journal;
  runner: TreeRunner;
  events: ServiceEvents;
  logger: Logger;
  clock: () => Date;
  check: PreClearCheck;
  ingestMaxBytes: number;
}

export class RunClearer {
  constructor(private readonly deps: RunClearerDeps) {}

  // The one way out of a clear: its answer, or the refusal thrown; either is
  // announced (clear_done) unless it was a dry run.
  async clear(requested: string, options: ClearOptions): Promise<ClearAnswer> {
    const startedAt = performance.now();
    const location = resolveRunPath(requested, this.deps.stagingRoot);
    if (options.dryRun) return this.withRun(location, startedAt, (opened) => this.dryRun(location, opened, startedAt));
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
    // The path is checked (and a run that is gone answered) before locking;
    // the lock is taken through the parent folder opened here, which stays
    // open until the lock is released.
    const ending = await this.withRun(location, startedAt, async (held) => {
      await this.ensureWritable(location, held);
      const lock = await this.deps.locks.tryAcquire(location.diskPath, held.parent.fd).catch((error: unknown) => {
        throw isPermissionError(error) ? permissionDenied(path.dirname(location.absolutePath), errorCode(error)) : error;
      });
      if (!lock) throw await this.busy(location);
      try {
        // Someone may have finished this run between our look and our lock.
        return await this.withRun(location, startedAt, (opened) =>
          this.clearOpened(location, opened, options, startedAt, lock),
        );
      } finally {
        await lock.release();
      }
    });
    return 'outcome' in ending ? { answer: ending, record: null } : ending;
  }

  // The run opened for `work`, closed after; an answer for a run that is gone.
  private async withRun<T>(
    location: RunLocation,
    startedAt: number,
    work: (opened: OpenRun) => Promise<T>,
  ): Promise<T | ClearAnswer> {
    const opened = await openRun(this.deps.stagingRoot, location);
    if (opened === 'missing') return this.alreadyGone(location, startedAt);
    try {
      return await work(opened);
    } finally {
      await opened.close();
    }
  }

  private async clearOpened(
    location: RunLocation,
    opened: OpenRun,
    options: ClearOptions,
    startedAt: number,
    lock: HeldRunLock,
  ): Promise<Ending> {
    const ingest = await this.readClearable(location, opened);
    const { record } = ingest;
    const survey = await this.surveySafe(location, opened, record);
    const writer = await this.deps.journal.openWriter();
    try {
      const resumed = record.view.current_state === 'cleared';
      const usageBefore = await options.volumeUsage?.().catch(() => undefined);
      // Freed bytes count ingest.json as the survey (and a dry run) saw it,
      // not as the clear itself grew it.
      const grownBy = resumed ? 0 : (await this.recordIntent(location, opened, record, options.actor)) - ingest.stamp.size;
      const removal = this.deps.runner.remove(
        { runFd: opened.run.fd, parentFd: opened.parent.fd, runName: opened.name },
        survey,
        this.deps.check.rulesFor(record.view) ?? undefined,
        (progress) => this.progress(location, options, progress, survey.files),
      );
      lock.onCompromised(removal.stop);
      const removed = await removal.result;
      const complete = removed.leftCount === 0 && !removed.stopped;
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
      if (!complete) return { failure: incomplete(location, deleted, lock.compromised), record: kept };
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
  private async readClearable(location: RunLocation, opened: OpenRun): Promise<IngestFile> {
    const ingest = await readIngest(opened.run, this.deps.ingestMaxBytes);
    if (!ingest) {
      throw new CleanupError('ingest_missing', { runPath: location.runPath });
    }
    const refusal = recordRefusal(ingest.record.view, this.deps.clock(), this.deps.policy.clockToleranceSeconds);
    if (refusal?.reason === 'not_sync_verified') {
      throw new CleanupError(
        'staging_not_sync_verified',
        { runPath: location.runPath, state: refusal.state },
        { details: { current_state: refusal.state } },
      );
    }
    if (refusal) throw distrustError(refusal);
    return ingest;
  }

  // README "Checks before a clear": nothing is deleted unless what goes is what reached the NAS.
  // The survey that shows it is the one the deletion then works from.
  private async surveySafe(location: RunLocation, opened: OpenRun, record: IngestRecord): Promise<TreeMeasure> {
    const inspection = await this.deps.check.inspect(location, opened.run.fd, record.view);
    if (inspection.survey === null) throw inspection.refusal;
    if (inspection.refusal) throw inspection.refusal;
    return inspection.survey;
  }

  // Refuses, before anything is locked or written, a run this process could
  // not remove (its folder or its parent not writable).
  private async ensureWritable(location: RunLocation, opened: OpenRun): Promise<void> {
    const denied = await permissionRefusal(location, opened);
    if (denied) throw denied;
  }

  // Answers the size of ingest.json once it records the clear.
  private async recordIntent(location: RunLocation, opened: OpenRun, record: IngestRecord, actor: string): Promise<number> {
    const written = await appendTransition(opened.run, location, record, {
      state: 'cleared',
      at: formatTimestamp(this.deps.clock()),
      host: this.deps.hostLabel,
      actor,
    });
    this.deps.events.emit('run_state', {
      run_path: location.runPath,
      from: record.view.current_state,
      to: 'cleared',
    });
    return written.size;
  }

  // What the clear would answer: the same refusals, or what it would free.
  private async dryRun(location: RunLocation, opened: OpenRun, startedAt: number): Promise<ClearAnswer> {
    await this.ensureWritable(location, opened);
    const survey = await this.surveySafe(location, opened, (await this.readClearable(location, opened)).record);
    return {
      run_path: location.runPath,
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
    if (await this.deps.locks.isHeld(location.diskPath)) throw await this.busy(location);
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

  private async busy(location: RunLocation): Promise<CleanupError> {
    return clearInProgress(location.runPath, await this.deps.locks.statusOf(location.diskPath));
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
