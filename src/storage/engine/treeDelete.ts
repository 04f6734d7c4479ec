// One cohesive thing, hence its length: removing a surveyed run.
// Removes a surveyed run without following links, counting each
// non-directory entry and its lstat bytes as it goes. Everything goes through
// descriptors (dirHandle.ts): each folder is opened from the run's own
// descriptor one level at a time without following links, and each entry is
// unlinked relative to the folder, so a folder swapped for a link mid-clear
// can never move a deletion outside the run.
//
// The survey (measureTree) judged every entry and stamped every directory.
// Directory by directory (so several threads can share the work), entries go,
// each listed with its lstat in one call and judged again: in full in a
// folder that changed since the survey, by the time test in one that did not
// (its names are the surveyed ones). Anything unsynced (a late file, one
// rewritten in place), or a folder the survey never saw, is kept and
// reported.
// Then the folders go bottom-up, and the manifest and ingest.json last, only
// once everything else is gone, so that a run left half-removed still says
// what it is, and the next clear (or a judge made late in this one) still
// judges every file it finds against the manifest.
import { showName, type ShownName } from '../../domain/entryName.ts';
import { modifiedAfterVerification, type SyncRules } from '../../domain/syncCheck.ts';
import { sumOf } from '../../lib/sumOf.ts';
import { DirHandle, errorCode, type DirEntry, type StatedEntry } from '../dirHandle.ts';
import { INGEST_FILE, isMetaPath, META_DIR } from '../runLayout.ts';
import type { DirectoryStamp, TreeMeasure } from './treeMeasure.ts';
import { measureTree } from './treeMeasure.ts';
import { createKeepingJudge, folderOf, type StagedFileJudge } from './unsyncedScan.ts';

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
}

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
    ...(rules ? { rules } : {}),
  };
}

export interface DeleteOptions {
  onProgress?: (progress: DeleteProgress) => void;
  progressEveryFiles?: number;
  progressEveryMs?: number;
  shouldStop?: () => boolean;
}

export const MAX_REPORTED = 20;
const INGEST_PATH = `${META_DIR}/${INGEST_FILE}`;
// A folder changed this shortly before the survey may change again within
// one timestamp tick: it is not taken as unchanged.
const SETTLED_MS = 2000;

class Tally {
  readonly outcome: DeleteOutcome = { files: 0, bytes: 0, left: [], leftCount: 0, stopped: false };
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

  flush(): void {
    this.reportedFiles = this.outcome.files;
    this.reportedAt = Date.now();
    this.options.onProgress?.({ files: this.outcome.files, bytes: this.outcome.bytes });
  }
}

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
      else if (unlinked(folder, entry.name, relativePath, this.tally)) this.tally.removed(1, entryStat.size);
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
    !isMetaPath(path) && this.args.rules && modifiedAfterVerification(stat.mtimeMs, this.args.rules)
      ? 'modified_after_verification'
      : null;

  // Judges only this share's folders, holding only their part of the manifest.
  private shareJudge(rules: SyncRules): StagedFileJudge {
    const folders = new Set(this.args.directories.map((directory) => directory.relativePath));
    return createKeepingJudge(this.folderOfRun, rules, (path) => folders.has(folderOf(path)));
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

function unlinked(folder: DirHandle, name: string, relativePath: string, tally: Tally): boolean {
  try {
    folder.unlink(name);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT') tally.leave(relativePath, code);
    return false;
  }
}

// Where the run is: its own descriptor, and its parent's with its name there
// (to remove the run folder itself). The caller opened both and closes them.
export interface RunFolder {
  runFd: number;
  parentFd: number;
  runName: string;
}

// After every share: the folders bottom-up; only if nothing was left
// anywhere, the manifest (`manifestPath`, when the clear judged files) and
// its folders, then ingest.json, .exlab-wizard and the run itself.
export function removeSurveyedShell(
  at: RunFolder,
  directories: readonly string[],
  directoriesWithLeft: readonly string[],
  manifestPath?: string,
): DeleteOutcome {
  const tally = new Tally({});
  const run = DirHandle.borrowed(at.runFd);
  const keptInside = (directory: string): boolean =>
    directoriesWithLeft.some((kept) => kept === directory || kept.startsWith(`${directory}/`));
  const manifestFolders = new Set(manifestPath ? foldersAbove(manifestPath) : []);
  const folders = directories.filter((directory) => directory !== '' && directory !== META_DIR);
  for (const directory of deepestFirst(folders.filter((folder) => !manifestFolders.has(folder)))) {
    removeDirectory(run, directory, keptInside(directory), tally);
  }
  if (directoriesWithLeft.length > 0 || tally.outcome.leftCount > 0) return tally.outcome;
  // Anything else still in the run (a folder made after the survey listed
  // the top level) keeps the manifest and ingest.json, so the run stays
  // a run that the next clear judges and finishes.
  const lastOnes = new Set([META_DIR, ...(manifestPath ? [manifestPath.split('/')[0] as string] : [])]);
  for (const entry of run.entries()) if (!lastOnes.has(entry.name)) tally.leave(entry.name, 'appeared_after_check');
  if (tally.outcome.leftCount > 0) return tally.outcome;
  if (manifestPath) removeFile(run, manifestPath, tally);
  for (const directory of deepestFirst(folders.filter((folder) => manifestFolders.has(folder)))) {
    removeDirectory(run, directory, false, tally);
  }
  if (tally.outcome.leftCount > 0) return tally.outcome;
  removeFile(run, INGEST_PATH, tally);
  removeDirectory(run, META_DIR, false, tally);
  if (tally.outcome.leftCount === 0) {
    const parent = DirHandle.borrowed(at.parentFd);
    removeEntry(() => parent.rmdir(at.runName), '', false, tally);
  }
  return tally.outcome;
}

function deepestFirst(folders: string[]): string[] {
  return folders.sort((a, b) => b.split('/').length - a.split('/').length);
}

// 'a/b/file' -> ['a', 'a/b']
function foldersAbove(relativePath: string): string[] {
  const segments = relativePath.split('/').slice(0, -1);
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}

// A file some levels down, removed (and counted) relative to its folder.
function removeFile(run: DirHandle, relativePath: string, tally: Tally): void {
  inParent(run, relativePath, tally, (parent, name) => {
    const stat = parent.lstatOrNull(name);
    if (stat && unlinked(parent, name, relativePath, tally)) tally.removed(1, stat.size);
  });
}

// A folder some levels down, removed relative to its own parent folder,
// which is opened from the run without following links.
function removeDirectory(run: DirHandle, relativePath: string, somethingKeptInside: boolean, tally: Tally): void {
  inParent(run, relativePath, tally, (parent, name) =>
    removeEntry(() => parent.rmdir(name), relativePath, somethingKeptInside, tally),
  );
}

function inParent<T>(
  run: DirHandle,
  relativePath: string,
  tally: Tally,
  work: (parent: DirHandle, name: string) => T,
): T | undefined {
  const slash = relativePath.lastIndexOf('/');
  let parent: DirHandle | undefined;
  try {
    parent = run.openPath(slash === -1 ? '' : relativePath.slice(0, slash));
    return work(parent, relativePath.slice(slash + 1));
  } catch (error) {
    const code = errorCode(error);
    // Gone, or no longer a folder (never entered): nothing of it to remove.
    if (code !== 'ENOENT' && code !== 'ELOOP' && code !== 'ENOTDIR') tally.leave(relativePath, code);
    return undefined;
  } finally {
    parent?.close();
  }
}

function removeEntry(remove: () => void, relativePath: string, somethingKeptInside: boolean, tally: Tally): void {
  try {
    remove();
  } catch (error) {
    const code = errorCode(error);
    // A folder kept because something inside it was kept is not news.
    if (code === 'ENOENT' || (code === 'ENOTEMPTY' && somethingKeptInside)) return;
    tally.leave(relativePath, code);
  }
}

export function combineOutcomes(parts: readonly DeleteOutcome[]): DeleteOutcome {
  return {
    files: sumOf(parts, (part) => part.files),
    bytes: sumOf(parts, (part) => part.bytes),
    left: parts.flatMap((part) => part.left).slice(0, MAX_REPORTED),
    leftCount: sumOf(parts, (part) => part.leftCount),
    stopped: parts.some((part) => part.stopped),
  };
}

// Survey and removal in this thread: the whole of a clear's deletion at once,
// of the run folder at `runPath` (tests, tools). A survey that finds
// unsynced files deletes nothing and reports them.
export function deleteTree(runPath: string, options: DeleteOptions & { rules?: SyncRules } = {}): DeleteOutcome {
  const slash = runPath.lastIndexOf('/');
  const parent = DirHandle.openTrusted(runPath.slice(0, slash) || '/');
  const runName = Buffer.from(runPath.slice(slash + 1)).toString('latin1');
  let run: DirHandle;
  try {
    run = parent.openDirectory(runName, true);
  } catch (error) {
    parent.close();
    if (errorCode(error) === 'ENOENT') return { files: 0, bytes: 0, left: [], leftCount: 0, stopped: false };
    throw error;
  }
  try {
    return deleteOpenedTree({ runFd: run.fd, parentFd: parent.fd, runName }, run, options);
  } finally {
    run.close();
    parent.close();
  }
}

function deleteOpenedTree(at: RunFolder, run: DirHandle, options: DeleteOptions & { rules?: SyncRules }): DeleteOutcome {
  const survey: TreeMeasure = measureTree(run, options.rules ? { rules: options.rules } : {});
  if (survey.unsynced && survey.unsynced.count > 0) {
    const left = survey.unsynced.paths.map(({ reason, ...shown }) => ({ ...shown, code: reason }));
    return { files: 0, bytes: 0, left, leftCount: survey.unsynced.count, stopped: false };
  }
  const contents = deleteDirectoryContents(surveyedContents(at.runFd, survey, options.rules), options);
  if (contents.stopped) return contents;
  const shell = removeSurveyedShell(
    at,
    survey.directories.map((directory) => directory.relativePath),
    contents.directoriesWithLeft,
    options.rules?.manifestPath,
  );
  const outcome = combineOutcomes([contents, shell]);
  options.onProgress?.({ files: outcome.files, bytes: outcome.bytes });
  return outcome;
}
