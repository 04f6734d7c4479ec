// Removes one run depth-first without following links, counting each
// non-directory entry and its lstat size as it goes. ingest.json goes last,
// and only once everything else is gone, so that a run left half-removed
// still says what it is and the next clear can resume it.
import fs from 'node:fs';
import { INGEST_FILE, META_DIR } from './runLayout.ts';
import { errorCode, lstatOrNull, walkTree, type WalkEntry } from './treeWalk.ts';

export interface DeleteProgress {
  files: number;
  bytes: number;
}

export interface LeftPath {
  path: string;
  code: string;
}

export interface DeleteOutcome extends DeleteProgress {
  // The first MAX_REPORTED paths that could not be removed, and how many.
  left: LeftPath[];
  leftCount: number;
  stopped: boolean;
}

export interface DeleteOptions {
  onProgress?: (progress: DeleteProgress) => void;
  progressEveryFiles?: number;
  progressEveryMs?: number;
  shouldStop?: () => boolean;
  // Returns a code to keep an entry instead of deleting it.
  keep?: (entry: WalkEntry, stat: fs.Stats) => string | null;
}

export const MAX_REPORTED = 20;

export function deleteTree(root: string, options: DeleteOptions = {}): DeleteOutcome {
  return new TreeRemoval(root, options).run();
}

class TreeRemoval {
  private readonly outcome: DeleteOutcome = { files: 0, bytes: 0, left: [], leftCount: 0, stopped: false };
  // leftCount when each open directory was entered, innermost last.
  private readonly leftAtEntry: number[] = [];
  private reportedFiles = 0;
  private reportedAt = Date.now();

  constructor(
    private readonly root: string,
    private readonly options: DeleteOptions,
  ) {}

  run(): DeleteOutcome {
    // Data first, then the Wizard's own folder, then ingest.json and the shell.
    this.removeContents({ path: this.root, relativePath: '' }, META_DIR);
    const meta = { path: `${this.root}/${META_DIR}`, relativePath: META_DIR };
    const metaStat = lstatOrNull(meta.path);
    if (metaStat?.isDirectory()) {
      if (!this.stopped()) this.removeContents(meta, INGEST_FILE);
      if (this.complete()) {
        this.removeLeaf({ path: `${meta.path}/${INGEST_FILE}`, relativePath: `${META_DIR}/${INGEST_FILE}` });
        this.removeDirectory(meta, 0);
      }
    } else if (metaStat && !this.stopped()) {
      // Not a real folder (a link, say): an entry like any other, never entered.
      this.removeLeaf(meta);
    }
    if (this.complete()) this.removeDirectory({ path: this.root, relativePath: '' }, 0);
    this.options.onProgress?.({ files: this.outcome.files, bytes: this.outcome.bytes });
    return this.outcome;
  }

  private stopped(): boolean {
    this.outcome.stopped ||= this.options.shouldStop?.() ?? false;
    return this.outcome.stopped;
  }

  private complete(): boolean {
    return !this.stopped() && this.outcome.leftCount === 0;
  }

  // Everything below `base` except the top-level name `spared`; `base` stays.
  private removeContents(base: WalkEntry, spared: string): void {
    const within = (entry: WalkEntry): WalkEntry => ({
      path: entry.path,
      relativePath: [base.relativePath, entry.relativePath].filter(Boolean).join('/'),
    });
    walkTree(
      base.path,
      {
        directoryOpened: () => this.leftAtEntry.push(this.outcome.leftCount),
        directoryDone: (entry) => {
          const leftBefore = this.leftAtEntry.pop() ?? 0;
          if (entry.relativePath) this.removeDirectory(within(entry), leftBefore);
        },
        leaf: (entry) => this.removeLeaf(within(entry)),
        unreadable: (entry, code) => {
          if (code !== 'ENOENT') this.leave(within(entry), code);
        },
      },
      { shouldStop: () => this.stopped(), skipTopLevel: new Set([spared]) },
    );
  }

  private removeLeaf(entry: WalkEntry): void {
    const stat = lstatOrNull(entry.path);
    if (!stat) return;
    const kept = this.options.keep?.(entry, stat);
    if (kept) return this.leave(entry, kept);
    try {
      fs.unlinkSync(entry.path);
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT') this.leave(entry, code);
      return;
    }
    this.outcome.files += 1;
    this.outcome.bytes += stat.size;
    this.report();
  }

  private removeDirectory(entry: WalkEntry, leftBefore: number): void {
    try {
      fs.rmdirSync(entry.path);
    } catch (error) {
      const code = errorCode(error);
      // A directory kept because something inside it was kept is not news.
      if (code === 'ENOENT' || (code === 'ENOTEMPTY' && this.outcome.leftCount > leftBefore)) return;
      this.leave(entry, code);
    }
  }

  private leave(entry: WalkEntry, code: string): void {
    this.outcome.leftCount += 1;
    if (this.outcome.left.length < MAX_REPORTED) {
      this.outcome.left.push({ path: entry.relativePath || '.', code });
    }
  }

  private report(): void {
    const { onProgress, progressEveryFiles = 5000, progressEveryMs = 250 } = this.options;
    if (!onProgress) return;
    const filesSince = this.outcome.files - this.reportedFiles;
    if (filesSince < progressEveryFiles && Date.now() - this.reportedAt < progressEveryMs) return;
    this.reportedFiles = this.outcome.files;
    this.reportedAt = Date.now();
    onProgress({ files: this.outcome.files, bytes: this.outcome.bytes });
  }
}
