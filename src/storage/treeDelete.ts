// Removes a surveyed run without following links, counting each
// non-directory entry and its lstat bytes as it goes.
//
// The survey (measureTree) judged every entry and stamped every directory.
// Directory by directory (so several threads can share the work), entries go;
// a directory whose mtime is still the surveyed one, and was not being
// changed when surveyed, has exactly the surveyed entries, so they go without
// another lstat and count with the surveyed bytes. A directory that changed
// since is judged entry by entry again: anything unsynced, or a folder the
// survey never saw, is kept and reported. Then the folders go bottom-up and
// ingest.json last, only once everything else is gone, so that a run left
// half-removed still says what it is and the next clear can resume it.
import fs from 'node:fs';
import type { SyncRules } from '../domain/syncCheck.ts';
import { sumOf } from '../lib/sumOf.ts';
import { INGEST_FILE, META_DIR, pathInRun } from './runLayout.ts';
import type { DirectoryStamp, TreeMeasure } from './treeMeasure.ts';
import { measureTree } from './treeMeasure.ts';
import { errorCode, lstatOrNull } from './treeWalk.ts';
import { createStagedFileJudge, type StagedFileJudge } from './unsyncedScan.ts';

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

export interface ContentsOutcome extends DeleteOutcome {
  // Directories in which something was left (their removal will fail).
  directoriesWithLeft: string[];
}

export interface DeleteContentsArgs {
  root: string;
  // The directories whose entries this share removes.
  directories: DirectoryStamp[];
  // Every directory the survey saw, to tell a folder that appeared since.
  surveyed: string[];
  surveyStartedAtMs: number;
  rules?: SyncRules;
}

// What a share of a surveyed run's deletion needs (all of it, by default).
export function surveyedContents(
  root: string,
  survey: TreeMeasure,
  rules?: SyncRules,
  directories: DirectoryStamp[] = survey.directories,
): DeleteContentsArgs {
  return {
    root,
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
// A directory changed this shortly before the survey may change again
// within one timestamp tick; it is judged entry by entry.
const SETTLED_MS = 2000;
const INGEST_PATH = `${META_DIR}/${INGEST_FILE}`;
const NATIVE_RECURSIVE_RM = Number(process.versions.node.split('.')[0]) >= 23;
// A folder removed in one call reports its progress at once: only small ones,
// so that progress still moves every 5000 files.
const WHOLE_FOLDER_MAX_FILES = 5000;

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

  leave(path: string, code: string): void {
    this.outcome.leftCount += 1;
    if (this.outcome.left.length < MAX_REPORTED) this.outcome.left.push({ path: path || '.', code });
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
  private readonly parents: Set<string>;
  private judge: StagedFileJudge | null | undefined;

  constructor(
    private readonly args: DeleteContentsArgs,
    options: DeleteOptions,
  ) {
    this.tally = new Tally(options);
    this.surveyed = new Set(args.surveyed);
    this.parents = new Set(args.surveyed.map(parentOf));
  }

  run(): ContentsOutcome {
    const directoriesWithLeft: string[] = [];
    for (const directory of this.args.directories) {
      if (this.tally.stopped()) break;
      const leftBefore = this.tally.outcome.leftCount;
      const path = pathInRun(this.args.root, directory.relativePath);
      const stat = lstatOrNull(path);
      // Gone, or no longer a real folder: nothing of it is ours to enter.
      if (!stat?.isDirectory()) continue;
      // .exlab-wizard holds ingest.json, which goes last and apart: its few
      // entries are always taken one by one.
      const settled =
        directory.relativePath !== META_DIR &&
        stat.mtimeMs === directory.mtimeMs &&
        directory.mtimeMs < this.args.surveyStartedAtMs - SETTLED_MS;
      if (settled) this.removeSettled(directory, path);
      else this.removeJudged(directory, path);
      if (this.tally.outcome.leftCount > leftBefore) directoriesWithLeft.push(directory.relativePath);
    }
    this.tally.flush();
    return { ...this.tally.outcome, directoriesWithLeft };
  }

  // Unchanged since the survey: exactly the surveyed (and judged) entries.
  // They go without another lstat and count with the surveyed totals, less
  // whatever could not be removed.
  private removeSettled(directory: DirectoryStamp, path: string): void {
    const small = directory.files <= WHOLE_FOLDER_MAX_FILES;
    if (small && !this.parents.has(directory.relativePath) && NATIVE_RECURSIVE_RM && removedWhole(path)) {
      this.tally.removed(directory.files, directory.bytes);
      return;
    }
    let unlinkedFiles = 0;
    let keptFiles = 0;
    let keptBytes = 0;
    for (const entry of this.entriesOf(directory, path)) {
      if (this.tally.stopped()) return;
      if (entry.isDirectory()) continue;
      const entryPath = `${path}/${entry.name}`;
      if (unlinked(entryPath, within(directory, entry.name), this.tally)) {
        unlinkedFiles += 1;
        this.tally.removed(1, 0);
      } else if (fs.existsSync(entryPath)) {
        keptFiles += 1;
        keptBytes += lstatOrNull(entryPath)?.size ?? 0;
      }
    }
    // The rest of the surveyed files (bytes all along) went already: counted now.
    this.tally.removed(Math.max(0, directory.files - keptFiles - unlinkedFiles), Math.max(0, directory.bytes - keptBytes));
  }

  // Changed since the survey: every entry is judged again, and a folder the
  // survey never saw is kept.
  private removeJudged(directory: DirectoryStamp, path: string): void {
    for (const entry of this.entriesOf(directory, path)) {
      if (this.tally.stopped()) return;
      const relativePath = within(directory, entry.name);
      if (this.isIngest(directory, entry.name)) continue;
      if (entry.isDirectory()) {
        if (!this.surveyed.has(relativePath)) this.tally.leave(relativePath, 'appeared_after_check');
        continue;
      }
      const entryPath = `${path}/${entry.name}`;
      const entryStat = lstatOrNull(entryPath);
      if (!entryStat) continue;
      this.judge ??= this.args.rules ? createStagedFileJudge(this.args.rules) : null;
      const kept = this.judge?.(relativePath, entryStat);
      if (kept) this.tally.leave(relativePath, kept);
      else if (unlinked(entryPath, relativePath, this.tally)) this.tally.removed(1, entryStat.size);
    }
  }

  private entriesOf(directory: DirectoryStamp, path: string): fs.Dirent[] {
    try {
      return fs.readdirSync(path, { withFileTypes: true });
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT') this.tally.leave(directory.relativePath, code);
      return [];
    }
  }

  private isIngest(directory: DirectoryStamp, name: string): boolean {
    return directory.relativePath === META_DIR && name === INGEST_FILE;
  }
}

function within(directory: DirectoryStamp, name: string): string {
  return directory.relativePath ? `${directory.relativePath}/${name}` : name;
}

function parentOf(relativePath: string): string {
  const slash = relativePath.lastIndexOf('/');
  return slash === -1 ? '' : relativePath.slice(0, slash);
}

// A settled folder without subfolders goes in one native call where Node
// has one (fs.rmSync is C++ from Node 23 on, about rm -rf's speed; links are
// removed, never followed). On any failure what is left goes entry by entry.
function removedWhole(path: string): boolean {
  try {
    fs.rmSync(path, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

function unlinked(path: string, relativePath: string, tally: Tally): boolean {
  try {
    fs.unlinkSync(path);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT') tally.leave(relativePath, code);
    return false;
  }
}

// After every share: the folders bottom-up, then ingest.json, .exlab-wizard
// and the run itself, only if nothing was left anywhere.
export function removeSurveyedShell(
  root: string,
  directories: readonly string[],
  directoriesWithLeft: readonly string[],
): DeleteOutcome {
  const tally = new Tally({});
  const keptInside = (directory: string): boolean =>
    directoriesWithLeft.some((kept) => kept === directory || kept.startsWith(`${directory}/`));
  const deepestFirst = directories
    .filter((directory) => directory !== '' && directory !== META_DIR)
    .sort((a, b) => b.split('/').length - a.split('/').length);
  for (const directory of deepestFirst) {
    removeDirectory(`${root}/${directory}`, directory, keptInside(directory), tally);
  }
  if (directoriesWithLeft.length > 0 || tally.outcome.leftCount > 0) return tally.outcome;
  const meta = lstatOrNull(`${root}/${META_DIR}`);
  if (meta?.isDirectory()) {
    const ingest = lstatOrNull(`${root}/${INGEST_PATH}`);
    if (ingest && unlinked(`${root}/${INGEST_PATH}`, INGEST_PATH, tally)) tally.removed(1, ingest.size);
    removeDirectory(`${root}/${META_DIR}`, META_DIR, false, tally);
  }
  if (tally.outcome.leftCount === 0) removeDirectory(root, '', false, tally);
  return tally.outcome;
}

function removeDirectory(path: string, relativePath: string, somethingKeptInside: boolean, tally: Tally): void {
  try {
    fs.rmdirSync(path);
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

// Survey and removal in this thread: the whole of a clear's deletion at once.
// A survey that finds unsynced files deletes nothing and reports them.
export function deleteTree(root: string, options: DeleteOptions & { rules?: SyncRules } = {}): DeleteOutcome {
  const survey: TreeMeasure = measureTree(root, options.rules ? { rules: options.rules } : {});
  if (survey.unsynced && survey.unsynced.count > 0) {
    const tally = new Tally({});
    for (const item of survey.unsynced.paths) tally.leave(item.path, item.reason);
    return { ...tally.outcome, leftCount: survey.unsynced.count };
  }
  const contents = deleteDirectoryContents(surveyedContents(root, survey, options.rules), options);
  if (contents.stopped) return contents;
  const shell = removeSurveyedShell(
    root,
    survey.directories.map((directory) => directory.relativePath),
    contents.directoriesWithLeft,
  );
  const outcome = combineOutcomes([contents, shell]);
  options.onProgress?.({ files: outcome.files, bytes: outcome.bytes });
  return outcome;
}
