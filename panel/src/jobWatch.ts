// Follows an asynchronous clear (a job) to its end: its progress from the
// event stream, its end from GET /api/v1/jobs/{id} each time one of its runs
// is done. A slow check of the job stands in for events that never come (a
// job that fails before any clear, a stream that reconnected).
import { get } from './api.ts';
import type { Job } from './apiTypes.ts';
import type { LiveEvents } from './liveEvents.ts';
import { singleFlight } from './singleFlight.ts';

export interface JobProgress {
  filesFreed: number;
  bytesFreed: number;
  // Null while unknown.
  filesTotal: number | null;
}

const FALLBACK_CHECK_MS = 5000;
// A job of thousands of runs ends a run many times a second: its state is
// asked for at most this often.
const CHECK_AFTER_DONE_MS = 500;

export function watchJob(events: LiveEvents, started: Job, onProgress: (progress: JobProgress) => void): Promise<Job> {
  // Each run's latest counts, and their sums kept as they change.
  const perRun = new Map<string, { files: number; bytes: number; total: number }>();
  const sums = { files: 0, bytes: 0, total: 0 };
  const totalOf = (): number | null => Math.max(started.files_total ?? 0, sums.total) || null;
  return new Promise((resolve) => {
    let finished = false;
    let checkDue: number | undefined;
    const check = singleFlight(async () => {
      checkDue = undefined;
      const job = await get<Job>(`api/v1/jobs/${started.id}`).catch(() => null);
      if (!job || job.finished_at === null || finished) return;
      finished = true;
      stop();
      clearInterval(timer);
      clearTimeout(checkDue);
      resolve(job);
    });
    const stop = events.listen((event) => {
      if (event.name === 'run_state' || event.data.job_id !== started.id) return;
      if (event.name === 'clear_progress') {
        const { run_path, files_freed, bytes_freed, files_total } = event.data;
        const before = perRun.get(run_path) ?? { files: 0, bytes: 0, total: 0 };
        const now = { files: files_freed, bytes: bytes_freed, total: files_total ?? 0 };
        perRun.set(run_path, now);
        sums.files += now.files - before.files;
        sums.bytes += now.bytes - before.bytes;
        sums.total += now.total - before.total;
        onProgress({ filesFreed: sums.files, bytesFreed: sums.bytes, filesTotal: totalOf() });
      } else if (event.name === 'clear_done') checkDue ??= window.setTimeout(() => void check(), CHECK_AFTER_DONE_MS);
    }, true);
    const timer = setInterval(() => void check(), FALLBACK_CHECK_MS);
    void check();
  });
}
