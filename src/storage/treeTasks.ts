// The heavy tree operations, by name, as the tree worker runs them: plain
// functions over the disk that report progress through a callback.
import type { SyncRules, UnsyncedReport } from '../domain/syncCheck.ts';
import { checkNasCopy, type NasCheckArgs } from './nasCopyCheck.ts';
import { deleteTree, type DeleteOutcome, type DeleteProgress } from './treeDelete.ts';
import { measureTree, type TreeMeasure } from './treeMeasure.ts';
import { createStagedFileJudge, findUnsynced } from './unsyncedScan.ts';

export interface TreeTaskContext {
  progress: (progress: DeleteProgress) => void;
  shouldStop: () => boolean;
}

export interface MeasureRequest {
  root: string;
  // When given, the same walk also finds the staged files that never reached the NAS.
  rules?: SyncRules;
}

export const treeTasks = {
  measure: (args: { runs: MeasureRequest[] }): Array<TreeMeasure | null> =>
    args.runs.map((run) => {
      try {
        return measureTree(run.root, run.rules);
      } catch {
        return null;
      }
    }),
  verify: (args: { root: string; rules: SyncRules }): UnsyncedReport => findUnsynced(args.root, args.rules),
  nasCheck: (args: NasCheckArgs) => checkNasCopy(args),
  // With rules, a file that turns out unsynced while the run is being
  // deleted (it arrived after the check) is kept and reported.
  delete: (args: { root: string; rules?: SyncRules }, context: TreeTaskContext): DeleteOutcome => {
    const judge = args.rules ? createStagedFileJudge(args.rules) : null;
    return deleteTree(args.root, {
      onProgress: context.progress,
      shouldStop: context.shouldStop,
      ...(judge ? { keep: (entry, stat) => judge(entry.relativePath, stat) } : {}),
    });
  },
};

export type TreeTaskName = keyof typeof treeTasks;
export type TreeTaskArgs<N extends TreeTaskName> = Parameters<(typeof treeTasks)[N]>[0];
export type TreeTaskResult<N extends TreeTaskName> = Awaited<ReturnType<(typeof treeTasks)[N]>>;

export interface TreeTaskRequest {
  id: number;
  name: TreeTaskName;
  args: unknown;
  stopFlag: Int32Array;
}

export type TreeTaskMessage =
  | { id: number; kind: 'progress'; progress: DeleteProgress }
  | { id: number; kind: 'done'; result: unknown }
  | { id: number; kind: 'failed'; message: string };
