// Entry point of a tree worker thread: runs tree tasks off the event loop so
// that the service keeps answering while a million files are walked.
import { fileURLToPath } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { treeTasks, type TreeTaskMessage, type TreeTaskRequest } from './treeTasks.ts';
import { warmUp } from './treeWarmUp.ts';

const port = parentPort;
if (!port) throw new Error('treeWorker must run in a worker thread');
warmUp(fileURLToPath(new URL('.', import.meta.url)));

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
