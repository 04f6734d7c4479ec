// One walk of a run (or of one share of it): file counts and sizes with and
// without .exlab-wizard/, every directory with its mtime and what it holds
// directly (for the cache, and for the delete that follows a survey), and,
// when asked, the staged files that never reached the NAS. A folder that
// cannot be read, or a manifest that cannot be used, is recorded: a clear
// refuses a run whose survey is not whole (fail closed).
import { shownText } from '../../domain/entryName.ts';
import type { SyncRules, UnsyncedReport } from '../../domain/syncCheck.ts';
import { MAX_UNSYNCED_REPORTED } from '../../domain/syncCheck.ts';
import { sumOf } from '../../lib/sumOf.ts';
import type { DirHandle } from '../dirHandle.ts';
import { ManifestInvalid, ManifestMounted, MOUNTED_IN_RUN } from './manifestReader.ts';
import { isMetaPath } from '../runLayout.ts';
import { walkTree } from './treeWalk.ts';
import { UnsyncedCollector } from './unsyncedScan.ts';

export interface DirectoryStamp {
  // A byte string (see domain/entryName.ts).
  relativePath: string;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  // The non-directory entries directly inside, and the bytes removing them frees.
  files: number;
  bytes: number;
}

export interface TreeMeasure {
  files: number;
  bytes: number;
  dataFiles: number;
  dataBytes: number;
  directories: DirectoryStamp[];
  unsynced: UnsyncedReport | null;
  // Why the survey is not whole: the first folder it could not read, or the
  // manifest it could not use. Null when whole.
  problem: SurveyProblem | null;
  // When the walk began (ms since the epoch, this machine's clock).
  startedAtMs: number;
}

export type SurveyProblem =
  // `why`: what stopped the walk there, in words (after the path).
  | { kind: 'unreadable'; path: string; code: string; why: string }
  | { kind: 'manifest'; message: string }
  | { kind: 'failed'; message: string };

export interface MeasureOptions {
  rules?: SyncRules;
  // One share of the run: only these top-level names; the run folder's own
  // stamp belongs to the share that holds its top-level files.
  topLevel?: readonly string[];
  recordRoot?: boolean;
  // About what part of the run's files those names hold (to size their part
  // of the manifest index).
  share?: number;
}

export function measureTree(root: DirHandle, options: MeasureOptions = {}): TreeMeasure {
  const share = options.topLevel ? new Set(options.topLevel) : undefined;
  const measure = emptyMeasure();
  const collector = options.rules ? collectorOrProblem(root, options.rules, share, options.share, measure) : null;
  const open: DirectoryStamp[] = [];
  const recordRoot = options.recordRoot ?? true;
  walkTree(
    root,
    {
      directoryOpened(relativePath, stat) {
        const stamp = { relativePath, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, files: 0, bytes: 0 };
        open.push(stamp);
        if (relativePath !== '' || recordRoot) measure.directories.push(stamp);
      },
      directoryDone: () => void open.pop(),
      unreadable(relativePath, code) {
        const why = code === 'EXDEV' ? MOUNTED_IN_RUN : `cannot be read: ${code}`;
        measure.problem ??= { kind: 'unreadable', path: shownText(relativePath) || '.', code, why };
      },
      leaf(entry) {
        // An entry that vanished since it was listed is simply not counted.
        const { stat } = entry;
        if (!stat) return;
        const directory = open.at(-1);
        const freed = stat.freedBytes();
        if (directory) {
          directory.files += 1;
          directory.bytes += freed;
        }
        measure.files += 1;
        measure.bytes += freed;
        if (!isMetaPath(entry.relativePath)) {
          measure.dataFiles += 1;
          measure.dataBytes += stat.size;
          collector?.consider(entry.relativePath, stat);
        }
      },
    },
    share ? { onlyTopLevel: share } : {},
  );
  measure.unsynced = collector?.report ?? null;
  return measure;
}

function collectorOrProblem(
  root: DirHandle,
  rules: SyncRules,
  share: ReadonlySet<string> | undefined,
  partOfRun: number | undefined,
  measure: TreeMeasure,
): UnsyncedCollector | null {
  try {
    return new UnsyncedCollector(root, rules, share, partOfRun);
  } catch (error) {
    if (error instanceof ManifestMounted) {
      measure.problem = { kind: 'unreadable', path: shownText(error.relativePath), code: 'EXDEV', why: MOUNTED_IN_RUN };
    } else if (error instanceof ManifestInvalid) measure.problem = { kind: 'manifest', message: error.message };
    else throw error;
    return null;
  }
}

// A walk that threw part-way: nothing it counted can be trusted.
export function failedMeasure(error: unknown): TreeMeasure {
  return { ...emptyMeasure(), problem: { kind: 'failed', message: (error as Error).message } };
}

export function emptyMeasure(): TreeMeasure {
  return {
    files: 0,
    bytes: 0,
    dataFiles: 0,
    dataBytes: 0,
    directories: [],
    unsynced: null,
    problem: null,
    startedAtMs: Date.now(),
  };
}

// The shares of one run, walked apart, as one measure.
export function mergeMeasures(parts: readonly TreeMeasure[]): TreeMeasure {
  const unsyncedParts = parts.flatMap((part) => (part.unsynced ? [part.unsynced] : []));
  return {
    files: sumOf(parts, (part) => part.files),
    bytes: sumOf(parts, (part) => part.bytes),
    dataFiles: sumOf(parts, (part) => part.dataFiles),
    dataBytes: sumOf(parts, (part) => part.dataBytes),
    directories: parts.flatMap((part) => part.directories),
    unsynced:
      unsyncedParts.length === 0
        ? null
        : {
            paths: unsyncedParts.flatMap((part) => part.paths).slice(0, MAX_UNSYNCED_REPORTED),
            count: sumOf(unsyncedParts, (part) => part.count),
          },
    problem: parts.find((part) => part.problem)?.problem ?? null,
    startedAtMs: Math.min(...parts.map((part) => part.startedAtMs)),
  };
}
