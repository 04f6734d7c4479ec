// The heavy tree operations, by name, as the tree workers run them: plain
// functions over the disk that report progress through a callback.
import { stampRuns, type RunStampRequest } from './fileStamp.ts';
import { checkNasCopy, type NasCheckArgs } from './nasCopyCheck.ts';
import { withRun, type RunRef } from '../runRef.ts';
import type { DeleteProgress } from './deleteTally.ts';
import { removeSurveyedShell, type RunFolder } from './shellRemoval.ts';
import { deleteDirectoryContents, type DeleteContentsArgs } from './treeDelete.ts';
import { failedMeasure, measureTree, type MeasureOptions, type TreeMeasure } from './treeMeasure.ts';

interface TreeTaskContext {
  progress: (progress: DeleteProgress) => void;
  shouldStop: () => boolean;
}

export interface MeasureRequest extends MeasureOptions {
  run: RunRef;
}

export const treeTasks = {
  // A run that cannot be opened (gone, a link, unreadable) measures as null;
  // one whose walk throws carries the failure (a survey must never pass for
  // an empty run), without failing the other runs of the task.
  measure: (args: { runs: MeasureRequest[] }): Array<TreeMeasure | null> =>
    args.runs.map(({ run, ...options }) =>
      withRun(run, (opened) => {
        try {
          return measureTree(opened, options);
        } catch (error) {
          return failedMeasure(error);
        }
      }),
    ),
  deleteContents: (args: DeleteContentsArgs, context: TreeTaskContext) =>
    deleteDirectoryContents(args, { onProgress: context.progress, shouldStop: context.shouldStop }),
  removeShell: (args: { at: RunFolder; directories: string[]; directoriesWithLeft: string[]; manifestPath?: string }) =>
    removeSurveyedShell(args.at, args.directories, args.directoriesWithLeft, args.manifestPath),
  nasCheck: (args: NasCheckArgs) => checkNasCopy(args),
  stamps: (args: { runs: RunStampRequest[] }) => stampRuns(args.runs),
};

export type TreeTaskName = keyof typeof treeTasks;
export type TreeTaskArgs<N extends TreeTaskName> = Parameters<(typeof treeTasks)[N]>[0];
export type TreeTaskResult<N extends TreeTaskName> = Awaited<ReturnType<(typeof treeTasks)[N]>>;
