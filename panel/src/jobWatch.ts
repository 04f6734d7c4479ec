// Follows an asynchronous clear (a job) to its end: its progress from the
// event stream, its end from GET /api/v1/jobs/{id} each time one of its runs
// is done. A slow check of the job stands in for events that never come (a
// job that fails before any clear, a stream that reconnected).
import { get } from './api.ts';
import type { Job } from './apiTypes.ts';
import type { LiveEvents } from './liveEvents.ts';

export interface JobProgress {
  filesFreed: number;
  bytesFreed: number;
  // Null while unknown.
  filesTotal: number | null;
}

const FALLBACK_CHECK_MS = 5000;

export function watchJob(events: LiveEvents, started: Job, onProgress: (progress: JobProgress) => void): Promise<Job> {
  const perRun = new Map<string, { files: number; bytes: number; total: number | null }>();
  const sum = (pick: (run: { files: number; bytes: number; total: number | null }) => number): number =>
    [...perRun.values()].reduce((total, run) => total + pick(run), 0);
  const totalOf = (): number | null => Math.max(started.files_total ?? 0, sum((run) => run.total ?? 0)) || null;
  return new Promise((resolve) => {
    let finished = false;
    const check = (): void => {
      void get<Job>(`api/v1/jobs/${started.id}`).then((job) => {
        if (job.finished_at === null || finished) return;
        finished = true;
        stop();
        clearInterval(timer);
        resolve(job);
      }, () => undefined);
    };
    const stop = events.listen((event) => {
      if (event.name === 'run_state' || event.data.job_id !== started.id) return;
      if (event.name === 'clear_progress') {
        const { run_path, files_freed, bytes_freed, files_total } = event.data;
        perRun.set(run_path, { files: files_freed, bytes: bytes_freed, total: files_total });
        onProgress({ filesFreed: sum((run) => run.files), bytesFreed: sum((run) => run.bytes), filesTotal: totalOf() });
      } else if (event.name === 'clear_done') check();
    }, true);
    const timer = setInterval(check, FALLBACK_CHECK_MS);
    check();
  });
}
