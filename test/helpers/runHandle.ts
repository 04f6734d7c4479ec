// A run folder opened by path, as the service opens one (its descriptor and
// its parent's), for tests that drive storage functions directly.
import fs from 'node:fs';
import { DirHandle } from '../../src/storage/dirHandle.ts';
import type { RunRef } from '../../src/storage/runRef.ts';
import type { RunFolder } from '../../src/storage/engine/shellRemoval.ts';
import { measureTree, type MeasureOptions, type TreeMeasure } from '../../src/storage/engine/treeMeasure.ts';

export interface OpenedRun {
  run: DirHandle;
  at: RunFolder;
  close(): void;
}

export function openRunAt(runPath: string): OpenedRun {
  const slash = runPath.lastIndexOf('/');
  const parent = DirHandle.openTrusted(runPath.slice(0, slash));
  const runName = Buffer.from(runPath.slice(slash + 1)).toString('latin1');
  const run = parent.openDirectory(runName, true);
  return {
    run,
    at: { runFd: run.fd, parentFd: parent.fd, runName },
    close: () => {
      run.close();
      parent.close();
    },
  };
}

export async function withRunAt<T>(runPath: string, work: (opened: OpenedRun) => T | Promise<T>): Promise<T> {
  const opened = openRunAt(runPath);
  try {
    return await work(opened);
  } finally {
    opened.close();
  }
}

export function measureAt(runPath: string, options: MeasureOptions = {}): TreeMeasure {
  const opened = openRunAt(runPath);
  try {
    return measureTree(opened.run, options);
  } finally {
    opened.close();
  }
}

// How the tree workers name a run below a staging root, with the root's pin
// as it is now.
export function runRefAt(stagingRoot: string, bytePath: string): RunRef {
  const { dev, ino } = fs.statSync(stagingRoot);
  return { stagingRoot, rootPin: { dev, ino }, bytePath };
}
