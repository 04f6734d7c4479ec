// Health latencies of a service, polled from a worker thread (so that the
// polling process's own work does not count) until stopped.
import { Worker } from 'node:worker_threads';

export function pollHealth(url: string): () => Promise<number[]> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     let stopped = false;
     const latencies = [];
     parentPort.on('message', () => { stopped = true; });
     (async () => {
       while (!stopped) {
         const start = performance.now();
         await (await fetch(workerData.url)).arrayBuffer();
         latencies.push(performance.now() - start);
         await new Promise((resolve) => setTimeout(resolve, 5));
       }
       parentPort.postMessage(latencies);
     })();`,
    { eval: true, workerData: { url: `${url}/api/v1/health` } },
  );
  return () =>
    new Promise((resolve) => {
      worker.once('message', (latencies: number[]) => void worker.terminate().then(() => resolve(latencies)));
      worker.postMessage('stop');
    });
}
