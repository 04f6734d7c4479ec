// File counts and sizes of one run, with and without .exlab-wizard/, and the
// directory mtimes that tell later whether the tree may have changed.
import { isMetaPath } from './runLayout.ts';
import { lstatOrNull, walkTree } from './treeWalk.ts';

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
}

export function measureTree(root: string): TreeMeasure {
  const measure: TreeMeasure = { files: 0, bytes: 0, dataFiles: 0, dataBytes: 0, directories: [] };
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
      }
    },
  });
  return measure;
}
