// A tree worker thread's task function (run by piscina): tree tasks off the
// event loop, so that the service keeps answering while a million files are
// walked.
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { treeTasks, type TreeTaskName } from './treeTasks.ts';
import { warmUp } from './treeWarmUp.ts';

const TREE_WORK_NICE = 10;

warmUp(fileURLToPath(new URL('.', import.meta.url)));
yieldToEventLoop();

// Tree work takes the CPU only when the thread that answers requests does not
// want it: this thread's nice value is raised (Linux: setpriority on its
// thread id). With a core to itself, it runs as fast as before.
function yieldToEventLoop(): void {
  try {
    const threadId = Number(fs.readlinkSync('/proc/thread-self').split('/').at(-1));
    os.setPriority(threadId, TREE_WORK_NICE);
  } catch {
    // No /proc/thread-self: the work keeps the process's priority.
  }
}

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
