// Clearing from the panel: one run (its Clear button) or every verified run
// (Clear verified runs). Each asks a dry run first and shows what would go,
// clears as a job (Prefer: respond-async) only once confirmed, and follows
// it to its end. The bulk clear is one server-side selection, every run
// verified when the job runs ({"all_verified": true}), so that it works for
// any number of runs; its confirmation gives what the dry run would free.
import { call, runUrl } from './api.ts';
import type { ClearAnswer, Job, RunResult, RunRow } from './apiTypes.ts';
import type { ClearDialog, ClearSession } from './clearDialog.ts';
import { el } from './dom.ts';
import { formatBytes, formatTime, plural } from './format.ts';
import { watchJob } from './jobWatch.ts';
import type { LiveEvents } from './liveEvents.ts';
import { errorBodyOf, refusalBlock } from './refusal.ts';

type Failure = Extract<RunResult, { error: unknown }>;
const isFailure = (result: RunResult): result is Failure => 'error' in result;

export class ClearFlows {
  constructor(
    private readonly dialog: ClearDialog,
    private readonly events: LiveEvents,
  ) {}

  async clearRun(row: RunRow): Promise<void> {
    const view = this.dialog.open(`Clear ${row.run_path}`);
    try {
      const dry = await call<ClearAnswer>('POST', runUrl(row.run_path, '/clear?dry_run=true'));
      view.show(
        el('p', {}, 'This deletes ', el('strong', {}, `${plural(dry.files_freed, 'file')} (${formatBytes(dry.bytes_freed)})`), ' from staging.'),
        row.verified_at && el('p', {}, `Its NAS copy was verified ${formatTime(row.verified_at)}.`),
      );
      if (!(await view.ask('Clear run'))) return;
      const job = await call<Job>('POST', runUrl(row.run_path, '/clear'), { async: true });
      finish(view, await this.follow(view, job));
    } catch (error) {
      view.done(refusalBlock(errorBodyOf(error)));
    }
  }

  async clearVerified(): Promise<void> {
    const view = this.dialog.open('Clear verified runs');
    try {
      const dry = await call<{ results: RunResult[] }>('POST', 'api/v1/staging/clear?dry_run=true', { body: { all_verified: true } });
      const going = dry.results.filter((result): result is ClearAnswer => !isFailure(result));
      const refused = dry.results.filter(isFailure);
      const bytes = going.reduce((total, run) => total + run.bytes_freed, 0);
      const files = going.reduce((total, run) => total + run.files_freed, 0);
      const refusals = refused.length > 0 && failuresBlock(`${plural(refused.length, 'run')} would be refused and kept:`, refused);
      if (going.length === 0) return view.done(el('p', {}, 'No verified run can be cleared now.'), refusals);
      view.show(
        el('p', {}, 'This deletes ', el('strong', { className: 'total' }, `${plural(going.length, 'run')}, ${formatBytes(bytes)}`), ` (${plural(files, 'file')}) from staging.`),
        el('p', { className: 'note' }, 'One job clears every run verified when it runs, each checked again first.'),
        refusals,
      );
      if (!(await view.ask(`Clear ${plural(going.length, 'run')}`))) return;
      const job = await call<Job>('POST', 'api/v1/staging/clear', { body: { all_verified: true }, async: true });
      finish(view, await this.follow(view, job));
    } catch (error) {
      view.done(refusalBlock(errorBodyOf(error)));
    }
  }

  private follow(view: ClearSession, job: Job): Promise<Job> {
    view.show(el('p', {}, 'Clearing…'));
    view.running({ filesFreed: 0, bytesFreed: 0, filesTotal: job.files_total });
    return watchJob(this.events, job, (progress) => view.running(progress));
  }
}

// What the job did: how much it freed, and each run it did not clear, with why.
// A bulk clear that kept some runs (refused, as its dry run may have said)
// still did its work: only a job that cleared nothing it should is "not done".
function finish(view: ClearSession, job: Job): void {
  // The counts are the job's; the failures shown are those of its first page of results.
  const failures = (job.results ?? []).filter(isFailure);
  const done = job.state === 'succeeded' || job.state === 'partially_failed';
  const headline = job.state === 'succeeded' ? 'Done' : done ? 'Done, some runs kept' : 'Not everything was cleared';
  view.running({ filesFreed: job.files_freed, bytesFreed: job.bytes_freed, filesTotal: job.files_total ?? job.files_freed });
  view.done(
    el(
      'p',
      { className: `outcome ${done ? 'complete' : 'incomplete'}` },
      `${headline}: ${plural(job.runs_cleared, 'run')} cleared, ` +
        `${plural(job.files_freed, 'file')} (${formatBytes(job.bytes_freed)}) freed.`,
    ),
    job.error && refusalBlock(job.error),
    job.runs_failed > 0 && failuresBlock(`${plural(job.runs_failed, 'run')} not cleared:`, failures),
  );
}

// At most this many failures are shown in full; the rest are counted.
const SHOWN_FAILURES = 20;

function failuresBlock(heading: string, failures: Failure[]): HTMLElement {
  const hidden = failures.length - SHOWN_FAILURES;
  return el(
    'div',
    { className: 'failures' },
    el('p', {}, heading),
    ...failures
      .slice(0, SHOWN_FAILURES)
      .map((failure) => el('div', { className: 'failure' }, el('p', { className: 'run' }, failure.run_path), refusalBlock(failure.error))),
    hidden > 0 && el('p', { className: 'note more' }, `and ${plural(hidden, 'more run')}.`),
  );
}
