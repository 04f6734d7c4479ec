// What a deletion reports as it goes and at its end: the files and bytes
// removed, and the paths it could not remove (the first MAX_REPORTED, and how
// many), shared by the removal of a run's contents and of its shell.
import { showName, type ShownName } from '../../domain/entryName.ts';
import type { StuckFile } from '../../domain/syncCheck.ts';
import { sumOf } from '../../lib/sumOf.ts';

export interface DeleteProgress {
  files: number;
  bytes: number;
}

// The path as shown (entryName.ts), with `escaped` when it is not UTF-8.
export interface LeftPath extends ShownName {
  code: string;
}

export interface DeleteOutcome extends DeleteProgress {
  // The first MAX_REPORTED paths that could not be removed, and how many.
  left: LeftPath[];
  leftCount: number;
  stopped: boolean;
  // The first MAX_STUCK files whose unlink failed (EPERM, EBUSY, ...), by
  // byte path, as they were judged: see SyncRules.stuck.
  stuck: Record<string, StuckFile>;
}

export interface DeleteOptions {
  onProgress?: (progress: DeleteProgress) => void;
  progressEveryFiles?: number;
  progressEveryMs?: number;
  shouldStop?: () => boolean;
}

export const MAX_REPORTED = 20;
export const MAX_STUCK = 1000;

export class Tally {
  readonly outcome: DeleteOutcome = { files: 0, bytes: 0, left: [], leftCount: 0, stopped: false, stuck: {} };
  private stuckCount = 0;
  private reportedFiles = 0;
  private reportedAt = Date.now();

  constructor(private readonly options: DeleteOptions) {}

  stopped(): boolean {
    this.outcome.stopped ||= this.options.shouldStop?.() ?? false;
    return this.outcome.stopped;
  }

  removed(files: number, bytes: number): void {
    this.outcome.files += files;
    this.outcome.bytes += bytes;
    const { onProgress, progressEveryFiles = 5000, progressEveryMs = 250 } = this.options;
    if (!onProgress) return;
    if (this.outcome.files - this.reportedFiles < progressEveryFiles && Date.now() - this.reportedAt < progressEveryMs) return;
    this.flush();
  }

  // `relativePath` is a byte string; it is reported as shown.
  leave(relativePath: string, code: string): void {
    this.outcome.leftCount += 1;
    if (this.outcome.left.length < MAX_REPORTED) this.outcome.left.push({ ...showName(relativePath || '.'), code });
  }

  // A file whose unlink failed with `code`, remembered as it was judged.
  leaveStuck(relativePath: string, code: string, judged: StuckFile): void {
    this.leave(relativePath, code);
    if (this.stuckCount >= MAX_STUCK) return;
    this.stuckCount += 1;
    this.outcome.stuck[relativePath] = { ino: judged.ino, size: judged.size, mtimeMs: judged.mtimeMs };
  }

  flush(): void {
    this.reportedFiles = this.outcome.files;
    this.reportedAt = Date.now();
    this.options.onProgress?.({ files: this.outcome.files, bytes: this.outcome.bytes });
  }
}

export function combineOutcomes(parts: readonly DeleteOutcome[]): DeleteOutcome {
  return {
    files: sumOf(parts, (part) => part.files),
    bytes: sumOf(parts, (part) => part.bytes),
    left: parts.flatMap((part) => part.left).slice(0, MAX_REPORTED),
    leftCount: sumOf(parts, (part) => part.leftCount),
    stopped: parts.some((part) => part.stopped),
    stuck: Object.fromEntries(parts.flatMap((part) => Object.entries(part.stuck)).slice(0, MAX_STUCK)),
  };
}
