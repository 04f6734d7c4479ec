// The local pre-clear check (README "Checks before a clear") on disk: which staged files (by
// name and lstat, outside .exlab-wizard/) never reached the NAS. Walks that
// meet the files (the survey, the delete) ask the judge.
import { showName } from '../../domain/entryName.ts';
import {
  judgeStagedFile,
  MAX_UNSYNCED_REPORTED,
  type SyncRules,
  type UnsyncedReason,
  type UnsyncedReport,
} from '../../domain/syncCheck.ts';
import type { DirHandle, StatLike } from '../dirHandle.ts';
import { loadManifestIndex, ManifestInvalid, type ManifestPart } from './manifestReader.ts';
import { isMetaPath } from '../runLayout.ts';

export type StagedFileJudge = (relativePath: string, stat: StatLike) => UnsyncedReason | null;

// A judge for one run's files (or only for those of `part`: a share of the
// run, so that each thread holds only its part of a large manifest).
// Throws ManifestInvalid for a manifest that exists but cannot be used.
function createStagedFileJudge(run: DirHandle, rules: SyncRules, part?: ManifestPart): StagedFileJudge {
  const manifest = loadManifestIndex(run, rules.manifestPath, part);
  return (relativePath, stat) =>
    isMetaPath(relativePath) ? null : judgeStagedFile(relativePath, stat, manifest, rules);
}

function firstSegment(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(0, slash);
}

// The folder a path is in ('' for the run's top level).
export function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

// The same, except that a manifest that cannot be used keeps every staged
// file (fail closed): for the deletion, which must go on judging.
export function createKeepingJudge(run: DirHandle, rules: SyncRules, part?: ManifestPart): StagedFileJudge {
  try {
    return createStagedFileJudge(run, rules, part);
  } catch (error) {
    if (!(error instanceof ManifestInvalid)) throw error;
    return (relativePath) => (isMetaPath(relativePath) ? null : 'manifest_invalid');
  }
}

// Judges the files a walk meets and keeps the report (paths as shown).
export class UnsyncedCollector {
  readonly report: UnsyncedReport = { paths: [], count: 0 };
  private readonly judge: StagedFileJudge;

  // `topLevel`: only the files under these top-level names, about `share` of the run's.
  constructor(run: DirHandle, rules: SyncRules, topLevel?: ReadonlySet<string>, share = 1) {
    this.judge = createStagedFileJudge(run, rules, topLevel && { keep: (path) => topLevel.has(firstSegment(path)), share });
  }

  consider(relativePath: string, stat: StatLike): void {
    const reason = this.judge(relativePath, stat);
    if (!reason) return;
    this.report.count += 1;
    if (this.report.paths.length < MAX_UNSYNCED_REPORTED) this.report.paths.push({ ...showName(relativePath), reason });
  }
}
