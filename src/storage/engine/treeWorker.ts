// A tree worker thread's task function (run by piscina): tree tasks off the
// event loop, so that the service keeps answering while a million files are
// walked.
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { treeTasks, type TreeTaskName } from './treeTasks.ts';
import { warmUp } from './treeWarmUp.ts';

warmUp(fileURLToPath(new URL('.', import.meta.url)));

interface TreeTask {
  name: TreeTaskName;
  args: unknown;
  stopFlag: Int32Array;
  port: MessagePort;
}

export default async function runTreeTask({ name, args, stopFlag, port }: TreeTask): Promise<unknown> {
  const context = {
    progress: (progress: { files: number; bytes: number }) => port.postMessage(progress),
    shouldStop: () => Atomics.load(stopFlag, 0) !== 0,
  };
  try {
    return await (treeTasks[name] as (args: unknown, context: unknown) => unknown)(args, context);
  } finally {
    port.close();
  }
}
