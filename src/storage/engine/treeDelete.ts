// Removes the entries of a surveyed run without following links, counting
// each non-directory entry and its lstat bytes as it goes. Everything goes
// through descriptors (dirHandle.ts): each folder is opened from the run's
// own descriptor one level at a time without following links, and each entry
// is unlinked relative to the folder, so a folder swapped for a link
// mid-clear can never move a deletion outside the run.
//
// The survey (measureTree) judged every entry and stamped every directory.
// Directory by directory (so several threads can share the work), entries go,
// each listed with its lstat in one call and judged again: in full in a
// folder that changed since the survey, by the time test in one that did not
// (its names are the surveyed ones). Anything unsynced (a late file, one
// rewritten in place), or a folder the survey never saw, is kept and
// reported. Each entry is read afresh on its folder's descriptor just before
// its unlinkat and held across it (native/at.c), so one appended to or
// replaced after it was judged is kept too, and one written to during its
// unlink is restored (`changed_during_clear`). The folders, the manifest and ingest.json go afterwards, in the
// shell (shellRemoval.ts).
import { lateReason, type SyncRules } from '../../domain/syncCheck.ts';
import { DirHandle, errorCode, type DirEntry, type EntryStat, type StatedEntry } from '../dirHandle.ts';
import { sumOf } from '../../lib/sumOf.ts';
import { INGEST_PATH, isMetaPath, META_DIR } from '../runLayout.ts';
import { Tally, type DeleteOptions, type DeleteOutcome } from './deleteTally.ts';
import type { DirectoryStamp, TreeMeasure } from './treeMeasure.ts';
import { createKeepingJudge, folderOf, type StagedFileJudge } from './unsyncedScan.ts';

export interface ContentsOutcome extends DeleteOutcome {
  // Directories in which something was left (their removal will fail).
  directoriesWithLeft: string[];
}

export interface DeleteContentsArgs {
  // The run's descriptor (opened by the caller, who closes it).
  runFd: number;
  // The directories whose entries this share removes.
  directories: DirectoryStamp[];
  // Every directory the survey saw, to tell a folder that appeared since.
  surveyed: string[];
  surveyStartedAtMs: number;
  // About what part of the run's files these directories hold: the share of
  // the manifest a changed folder makes this share load.
  manifestShare: number;
  rules?: SyncRules;
}

// What a share of a surveyed run's deletion needs (all of it, by default).
export function surveyedContents(
  runFd: number,
  survey: TreeMeasure,
  rules?: SyncRules,
  directories: DirectoryStamp[] = survey.directories,
): DeleteContentsArgs {
  return {
    runFd,
    directories,
    surveyed: survey.directories.map((directory) => directory.relativePath),
    surveyStartedAtMs: survey.startedAtMs,
    manifestShare: survey.files > 0 ? sumOf(directories, (directory) => directory.files) / survey.files : 1,
    ...(rules ? { rules } : {}),
  };
}

// What an entry written to or replaced between its judgement and its unlink
// is left with.
export const CHANGED_DURING_CLEAR = 'changed_during_clear';

// A folder changed this shortly before the survey may change again within
// one timestamp tick: it is not taken as unchanged.
const SETTLED_MS = 2000;

// One share of the entries of a surveyed run (never its directories, never ingest.json).
export function deleteDirectoryContents(args: DeleteContentsArgs, options: DeleteOptions = {}): ContentsOutcome {
  return new ContentsRemoval(args, options).run();
}

class ContentsRemoval {
  private readonly tally: Tally;
  private readonly surveyed: Set<string>;
  private readonly folderOfRun: DirHandle;
  private readonly runDevice: number;
  // ingest.json and the manifest: they go last, in the shell.
  private readonly keptForLast: Set<string>;
  private judge: StagedFileJudge | null | undefined;

  constructor(
    private readonly args: DeleteContentsArgs,
    options: DeleteOptions,
  ) {
    this.tally = new Tally(options);
    this.surveyed = new Set(args.surveyed);
    this.folderOfRun = DirHandle.borrowed(args.runFd);
    this.runDevice = this.folderOfRun.stat().dev;
    this.keptForLast = new Set([INGEST_PATH, ...(args.rules ? [args.rules.manifestPath] : [])]);
  }

  run(): ContentsOutcome {
    const directoriesWithLeft: string[] = [];
    for (const directory of this.args.directories) {
      if (this.tally.stopped()) break;
      const leftBefore = this.tally.outcome.leftCount;
      const folder = this.openFolder(directory);
      if (folder) {
        try {
          this.removeFrom(directory, folder);
        } finally {
          folder.close();
        }
      }
      if (this.tally.outcome.leftCount > leftBefore) directoriesWithLeft.push(directory.relativePath);
    }
    this.tally.flush();
    return { ...this.tally.outcome, directoriesWithLeft };
  }

  // The folder, from the run's descriptor without following links; null when
  // it is gone, no longer a real folder, or another filesystem mounted in the
  // run: nothing of it is ours to enter.
  private openFolder(directory: DirectoryStamp): DirHandle | null {
    try {
      const folder = this.folderOfRun.openPath(directory.relativePath);
      if (folder.stat().dev === this.runDevice) return folder;
      folder.close();
      this.tally.leave(directory.relativePath, 'EXDEV');
      return null;
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ELOOP' && code !== 'ENOTDIR') this.tally.leave(directory.relativePath, code);
      return null;
    }
  }

  // Every entry is listed with its lstat in one call and judged again as it
  // goes, and a folder the survey never saw is kept. In a folder that is
  // still the surveyed one (same inode, mtime and ctime, read after its
  // names, and not being changed when surveyed) the names are the surveyed
  // ones, already found in the manifest: only the time test is made again
  // (it catches a file rewritten in place), without loading the manifest.
  private removeFrom(directory: DirectoryStamp, folder: DirHandle): void {
    const entries = this.entriesOf(directory, () => folder.statedEntries());
    const now = folder.stat();
    const unchanged =
      directory.relativePath !== META_DIR &&
      now.ino === directory.ino &&
      now.mtimeMs === directory.mtimeMs &&
      now.ctimeMs === directory.ctimeMs &&
      Math.max(directory.mtimeMs, directory.ctimeMs) < this.args.surveyStartedAtMs - SETTLED_MS;
    this.removeJudged(directory, folder, entries, unchanged);
  }

  private removeJudged(directory: DirectoryStamp, folder: DirHandle, entries: StatedEntry[], unchanged: boolean): void {
    for (const entry of entries) {
      if (this.tally.stopped()) return;
      const relativePath = within(directory, entry.name);
      if (this.keptForLast.has(relativePath)) continue;
      if (entry.isDirectory) {
        if (!this.surveyed.has(relativePath)) this.tally.leave(relativePath, 'appeared_after_check');
        continue;
      }
      if (entry.error) {
        this.tally.leave(relativePath, entry.error);
        continue;
      }
      const entryStat = entry.stat;
      if (!entryStat) continue;
      const kept = this.judgeOf(unchanged)?.(relativePath, entryStat);
      if (kept) this.tally.leave(relativePath, kept);
      else if (unlinked(folder, entry.name, relativePath, this.tally, entryStat)) this.tally.removed(1, entryStat.freedBytes());
    }
  }

  private judgeOf(unchanged: boolean): StagedFileJudge | null {
    const { rules } = this.args;
    if (!rules) return null;
    if (unchanged) return this.timeJudge;
    this.judge ??= this.shareJudge(rules);
    return this.judge;
  }

  private readonly timeJudge: StagedFileJudge = (path, stat) =>
    !isMetaPath(path) && this.args.rules ? lateReason(path, stat, this.args.rules) : null;

  // Judges only this share's folders, holding only their part of the manifest.
  private shareJudge(rules: SyncRules): StagedFileJudge {
    const folders = new Set(this.args.directories.map((directory) => directory.relativePath));
    return createKeepingJudge(this.folderOfRun, rules, { keep: (path) => folders.has(folderOf(path)), share: this.args.manifestShare });
  }

  private entriesOf<T extends DirEntry>(directory: DirectoryStamp, list: () => T[]): T[] {
    try {
      return list();
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT') this.tally.leave(directory.relativePath, code);
      return [];
    }
  }
}

function within(directory: DirectoryStamp, name: string): string {
  return directory.relativePath ? `${directory.relativePath}/${name}` : name;
}

// Unlinks `name` from `folder` if it is still the entry `judged` (read
// afresh at that moment); false, and the path left with its code, when it
// changed since it was judged or was written to as it went (then restored):
// `changed_during_clear`, which a retry judges again; when the restore
// failed, `changed_during_clear_unrestored`; or when it could not be unlinked
// (one already gone is neither removed nor left).
export function unlinked(folder: DirHandle, name: string, relativePath: string, tally: Tally, judged: EntryStat): boolean {
  try {
    const outcome = folder.unlinkUnchanged(name, judged);
    if (outcome === 'unlinked') return true;
    tally.leave(relativePath, outcome === 'changed' ? CHANGED_DURING_CLEAR : `${CHANGED_DURING_CLEAR}_unrestored`);
    return false;
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT') tally.leaveStuck(relativePath, code, judged);
    return false;
  }
}
