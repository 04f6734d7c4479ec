// What a clear (of one run, a set, or a sweep) is asked with, and the one
// interface through which whoever started it follows it: an asynchronous
// job, a test. The service's own observers (metrics, the event stream) listen
// to ServiceEvents instead.
import type { Logger } from 'pino';
import type { RunResult } from './answers.ts';

export interface ClearProgress {
  run_path: string;
  files_freed: number;
  bytes_freed: number;
  files_total: number | null;
}

// Where a clear logs: the request's logger, so that its lines carry the trace id.
export type LogSink = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface ClearObserver {
  // The asynchronous job the clear runs in, named in the event stream.
  jobId?: string;
  // A set or a sweep names its runs once it has chosen them.
  runsChosen?(runPaths: string[]): void;
  progress?(progress: ClearProgress): void;
  // Each run of a set or sweep as it ends.
  runDone?(result: RunResult): void;
}

export interface ClearOptions {
  // Who asked: a token's name, or `sweeper`; shown in logs and the journal.
  actor: string;
  dryRun?: boolean;
  // The staging volume's usage now, in percent: when given (clears made to
  // free room), the journal record keeps it from before and after the clear.
  volumeUsage?: () => Promise<number>;
  logger?: LogSink;
  observer?: ClearObserver;
}
