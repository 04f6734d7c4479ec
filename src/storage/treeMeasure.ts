// File counts and sizes of one run, with and without .exlab-wizard/, the
// directory mtimes that tell later whether the tree may have changed, and,
// when asked, the staged files that never reached the NAS (same walk).
import type { SyncRules, UnsyncedReport } from '../domain/syncCheck.ts';
import { isMetaPath } from './runLayout.ts';
import { lstatOrNull, walkTree } from './treeWalk.ts';
import { UnsyncedCollector } from './unsyncedScan.ts';

export interface DirectoryStamp {
  relativePath: string;
  mtimeMs: number;
}

export interface TreeMeasure {
  files: number;
  bytes: number;
  dataFiles: number;
  dataBytes: number;
  directories: DirectoryStamp[];
  unsynced: UnsyncedReport | null;
}

export function measureTree(root: string, rules?: SyncRules): TreeMeasure {
  const collector = rules ? new UnsyncedCollector(rules) : null;
  const measure: TreeMeasure = { files: 0, bytes: 0, dataFiles: 0, dataBytes: 0, directories: [], unsynced: null };
  walkTree(root, {
    directoryOpened(entry, stat) {
      measure.directories.push({ relativePath: entry.relativePath, mtimeMs: stat.mtimeMs });
    },
    leaf(entry) {
      // An entry that vanished since it was listed is simply not counted.
      const stat = lstatOrNull(entry.path);
      if (!stat) return;
      measure.files += 1;
      measure.bytes += stat.size;
      if (!isMetaPath(entry.relativePath)) {
        measure.dataFiles += 1;
        measure.dataBytes += stat.size;
        collector?.consider(entry.relativePath, stat);
      }
    },
  });
  measure.unsynced = collector?.report ?? null;
  return measure;
}
