// A small pool of tree worker threads, started on first use. Each task may be
// stopped through a shared flag the worker reads between entries.
import { Worker } from 'node:worker_threads';
import type { DeleteProgress } from './treeDelete.ts';
import type {
  TreeTaskArgs,
  TreeTaskMessage,
  TreeTaskName,
  TreeTaskRequest,
  TreeTaskResult,
} from './treeTasks.ts';

interface TreeTaskHandle<T> {
  result: Promise<T>;
  stop: () => void;
}

export interface TreeWorkerPool {
  // Tasks given the same stop flag stop together.
  run<N extends TreeTaskName>(
    name: N,
    args: TreeTaskArgs<N>,
    onProgress?: (progress: DeleteProgress) => void,
    stopFlag?: Int32Array,
  ): TreeTaskHandle<TreeTaskResult<N>>;
  // Starts `count` workers now, so that the first request does not wait.
  warm(count: number): Promise<void>;
  close(): Promise<void>;
}

interface PendingTask {
  request: TreeTaskRequest;
  onProgress: ((progress: DeleteProgress) => void) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  task: PendingTask | null;
}

export function createTreeWorkerPool(maxWorkers = 4): TreeWorkerPool {
  const workers: PoolWorker[] = [];
  const queue: PendingTask[] = [];
  let nextId = 1;
  let closed = false;

  const dispatch = (): void => {
    while (queue.length > 0) {
      const idle = workers.find((slot) => slot.task === null) ?? spawn();
      if (!idle) return;
      const task = queue.shift() as PendingTask;
      idle.task = task;
      idle.worker.ref();
      idle.worker.postMessage(task.request);
    }
  };

  const settle = (slot: PoolWorker): PendingTask | null => {
    const task = slot.task;
    slot.task = null;
    slot.worker.unref();
    return task;
  };

  const spawn = (): PoolWorker | null => {
    if (closed || workers.length >= maxWorkers) return null;
    const slot: PoolWorker = { worker: startWorker(), task: null };
    slot.worker.on('message', (message: TreeTaskMessage) => {
      if (slot.task?.request.id !== message.id) return;
      if (message.kind === 'progress') return slot.task.onProgress?.(message.progress);
      const task = settle(slot);
      if (message.kind === 'done') task?.resolve(message.result);
      else task?.reject(new Error(message.message));
      dispatch();
    });
    // A worker that dies takes its task with it; the next task gets a new one.
    slot.worker.on('error', (error) => settle(slot)?.reject(error));
    slot.worker.on('exit', (code) => {
      workers.splice(workers.indexOf(slot), 1);
      settle(slot)?.reject(new Error(`tree worker exited with code ${code}`));
      dispatch();
    });
    workers.push(slot);
    return slot;
  };

  return {
    run(name, args, onProgress, stopFlag = createStopFlag()) {
      const result = new Promise((resolve, reject) => {
        if (closed) return reject(new Error('tree worker pool is closed'));
        queue.push({ request: { id: nextId++, name, args, stopFlag }, onProgress, resolve, reject });
        dispatch();
      });
      return {
        result: result as Promise<TreeTaskResult<typeof name>>,
        stop: () => Atomics.store(stopFlag, 0, 1),
      };
    },
    async warm(count) {
      const jobs = Array.from({ length: Math.min(count, maxWorkers) }, () => this.run('stamps', { runs: [] }).result);
      await Promise.all(jobs);
    },
    async close() {
      closed = true;
      for (const task of queue.splice(0)) task.reject(new Error('tree worker pool is closed'));
      await Promise.all(workers.map((slot) => slot.worker.terminate()));
    },
  };
}

export function createStopFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

// A walk makes much short-lived garbage (an lstat result per file); a small
// young generation keeps each worker's memory low for a few % of speed.
const WORKER_LIMITS = { resourceLimits: { maxYoungGenerationSizeMb: 4 } };

// Under tsx (tests, development) the worker's TypeScript needs tsx's loader;
// the built service runs the compiled worker directly.
function startWorker(): Worker {
  const runningFromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./treeWorker.${runningFromSource ? 'ts' : 'js'}`, import.meta.url);
  const worker = runningFromSource
    ? new Worker(
        `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
        { eval: true, ...WORKER_LIMITS },
      )
    : new Worker(entry, WORKER_LIMITS);
  worker.unref();
  return worker;
}
