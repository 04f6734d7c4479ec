// The heavy tree operations, by name, as the tree workers run them: plain
// functions over the disk that report progress through a callback.
import { stampMany } from './fileStamp.ts';
import { checkNasCopy, type NasCheckArgs } from './nasCopyCheck.ts';
import {
  deleteDirectoryContents,
  removeSurveyedShell,
  type DeleteContentsArgs,
  type DeleteProgress,
} from './treeDelete.ts';
import { measureTree, type MeasureOptions, type TreeMeasure } from './treeMeasure.ts';

export interface TreeTaskContext {
  progress: (progress: DeleteProgress) => void;
  shouldStop: () => boolean;
}

export interface MeasureRequest extends MeasureOptions {
  root: string;
}

export const treeTasks = {
  // A run that cannot be walked (gone, unreadable) measures as null.
  measure: (args: { runs: MeasureRequest[] }): Array<TreeMeasure | null> =>
    args.runs.map(({ root, ...options }) => {
      try {
        return measureTree(root, options);
      } catch {
        return null;
      }
    }),
  deleteContents: (args: DeleteContentsArgs, context: TreeTaskContext) =>
    deleteDirectoryContents(args, { onProgress: context.progress, shouldStop: context.shouldStop }),
  removeShell: (args: { root: string; directories: string[]; directoriesWithLeft: string[] }) =>
    removeSurveyedShell(args.root, args.directories, args.directoriesWithLeft),
  nasCheck: (args: NasCheckArgs) => checkNasCopy(args),
  stamps: (args: { paths: string[] }) => stampMany(args.paths),
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
