// Entry point of a tree worker thread: runs tree tasks off the event loop so
// that the service keeps answering while a million files are walked.
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { treeTasks, type TreeTaskMessage, type TreeTaskRequest } from './treeTasks.ts';
import { warmUp } from './treeWarmUp.ts';

const TREE_WORK_NICE = 10;

const port = parentPort;
if (!port) throw new Error('treeWorker must run in a worker thread');
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

port.on('message', async (request: TreeTaskRequest) => {
  const send = (message: TreeTaskMessage): void => port.postMessage(message);
  const context = {
    progress: (progress: { files: number; bytes: number }) =>
      send({ id: request.id, kind: 'progress', progress }),
    shouldStop: () => Atomics.load(request.stopFlag, 0) !== 0,
  };
  try {
    const task = treeTasks[request.name] as (args: unknown, context: unknown) => unknown;
    send({ id: request.id, kind: 'done', result: await task(request.args, context) });
  } catch (error) {
    send({ id: request.id, kind: 'failed', message: (error as Error).message });
  }
});
