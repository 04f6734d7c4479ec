// The local pre-clear check of DESIGN §4a on disk: which staged files (by
// name and lstat, outside .exlab-wizard/) never reached the NAS. Walks that
// meet the files (the survey, the delete) ask the judge.
import type fs from 'node:fs';
import {
  judgeStagedFile,
  MAX_UNSYNCED_REPORTED,
  type SyncRules,
  type UnsyncedReason,
  type UnsyncedReport,
} from '../domain/syncCheck.ts';
import { loadManifestIndex, ManifestUnreadable } from './manifestReader.ts';
import { isMetaPath } from './runLayout.ts';

export type StagedFileJudge = (relativePath: string, stat: fs.Stats) => UnsyncedReason | null;

// A judge for one run's files (or for the files under some top-level names
// only: a share of the run); a manifest that exists but cannot be read fails
// closed: every staged file is kept.
export function createStagedFileJudge(rules: SyncRules, topLevel?: ReadonlySet<string>): StagedFileJudge {
  let manifest;
  try {
    manifest = loadManifestIndex(rules.manifestPath, topLevel && ((path) => topLevel.has(firstSegment(path))));
  } catch (error) {
    if (!(error instanceof ManifestUnreadable)) throw error;
    return (relativePath) => (isMetaPath(relativePath) ? null : 'manifest_unreadable');
  }
  return (relativePath, stat) =>
    isMetaPath(relativePath) ? null : judgeStagedFile(relativePath, stat.mtimeMs, manifest, rules);
}

function firstSegment(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(0, slash);
}

// Judges the files a walk meets and keeps the report.
export class UnsyncedCollector {
  readonly report: UnsyncedReport = { paths: [], count: 0 };
  private readonly judge: StagedFileJudge;

  constructor(rules: SyncRules, topLevel?: ReadonlySet<string>) {
    this.judge = createStagedFileJudge(rules, topLevel);
  }

  consider(relativePath: string, stat: fs.Stats): void {
    const reason = this.judge(relativePath, stat);
    if (!reason) return;
    this.report.count += 1;
    if (this.report.paths.length < MAX_UNSYNCED_REPORTED) this.report.paths.push({ path: relativePath, reason });
  }
}
