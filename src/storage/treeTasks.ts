// The heavy tree operations, by name, as the tree worker runs them: plain
// synchronous functions that report progress through a callback.
import { deleteTree, type DeleteOutcome, type DeleteProgress } from './treeDelete.ts';
import { measureTree, type TreeMeasure } from './treeMeasure.ts';

export interface TreeTaskContext {
  progress: (progress: DeleteProgress) => void;
  shouldStop: () => boolean;
}

export const treeTasks = {
  measure: (args: { roots: string[] }): Array<TreeMeasure | null> =>
    args.roots.map((root) => {
      try {
        return measureTree(root);
      } catch {
        return null;
      }
    }),
  delete: (args: { root: string }, context: TreeTaskContext): DeleteOutcome =>
    deleteTree(args.root, { onProgress: context.progress, shouldStop: context.shouldStop }),
};

export type TreeTaskName = keyof typeof treeTasks;
export type TreeTaskArgs<N extends TreeTaskName> = Parameters<(typeof treeTasks)[N]>[0];
export type TreeTaskResult<N extends TreeTaskName> = ReturnType<(typeof treeTasks)[N]>;

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
