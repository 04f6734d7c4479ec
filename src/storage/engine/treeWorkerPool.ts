// The tree worker threads, as a piscina pool started on first use. Each task
// may be stopped through a shared flag the worker reads between entries, and
// reports progress through a message port of its own.
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { DeleteProgress } from './deleteTally.ts';
import type { TreeTaskArgs, TreeTaskName, TreeTaskResult } from './treeTasks.ts';

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

// A walk makes much short-lived garbage (an lstat result per file); a small
// young generation keeps each worker's memory low for a few % of speed.
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

// Under tsx (tests, development) the worker's TypeScript goes through a
// small JavaScript entry that registers tsx's loader first.
function workerEntry(): string {
  const runningFromSource = import.meta.url.endsWith('.ts');
  return new URL(runningFromSource ? './treeWorkerFromSource.mjs' : './treeWorker.js', import.meta.url).href;
}

export function createTreeWorkerPool(maxWorkers = 4): TreeWorkerPool {
  const pool = new Piscina({
    filename: workerEntry(),
    minThreads: 0,
    maxThreads: maxWorkers,
    idleTimeout: Number.POSITIVE_INFINITY,
    resourceLimits: WORKER_LIMITS,
  });
  let closed = false;
  return {
    run(name, args, onProgress, stopFlag = createStopFlag()) {
      const stop = () => Atomics.store(stopFlag, 0, 1);
      if (closed) return { result: Promise.reject(new Error('tree worker pool is closed')), stop };
      const { port1, port2 } = new MessageChannel();
      port1.on('message', (progress: DeleteProgress) => onProgress?.(progress));
      const result = pool.run({ name, args, stopFlag, port: port2 }, { transferList: [port2] }).finally(() => port1.close());
      return {
        result: result as Promise<TreeTaskResult<typeof name>>,
        stop,
      };
    },
    async warm(count) {
      await Promise.all(
        Array.from({ length: Math.min(count, maxWorkers) }, () => this.run('stamps', { runs: [] }).result),
      );
    },
    close() {
      closed = true;
      return pool.destroy();
    },
  };
}

export function createStopFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}
