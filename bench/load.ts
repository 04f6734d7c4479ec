// npm run bench:load: autocannon, 50 connections for 20 s on the listing
// and eligibility routes of the built service, while clears run alongside;
// then the abusive mixes (abuse.ts), one after another. Prints requests per
// second, latency percentiles and the peak RSS, and a row per abuse; fails on
// any error, timeout or status that is not 2xx, on any clear that is not 200,
// on a peak RSS over its target, and on an abuse that misses its goals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startService } from '../test/helpers/serviceProcess.ts';
import { makeRun } from '../test/helpers/stagingTree.ts';
import { ABUSE_GOALS, runAbuse, type BenchService } from './abuse.ts';
import { prepareAbuse } from './abuseMixes.ts';
import { peakRssMiB } from './measure.ts';

const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 50);
const DURATION_S = Number(process.env.LOAD_SECONDS ?? 20);
// Issue 29: the whole service (main thread and tree workers) at its peak.
const LOAD_PEAK_RSS_MIB = 200;
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'staging-cleanup-load-'));
const staging = path.join(base, 'staging');
const files = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`frames/f${i}.tif`, 'x'.repeat(100)]));
const listed = Array.from({ length: 100 }, (_, i) => `LOAD/P${i % 5}/Runs/Run_${String(i).padStart(3, '0')}`);
const cleared = Array.from({ length: 60 }, (_, i) => `CLEAR/P/Runs/Run_${String(i).padStart(3, '0')}`);
for (const runPath of [...listed, ...cleared]) makeRun(staging, runPath, { files });
const journalDir = path.join(base, 'journal');
prepareAbuse(staging, journalDir);

const startBenchService = async (): Promise<BenchService> => {
  const started = startService(
    { STAGING_CLEANUP_STAGING_ROOT: staging, STAGING_CLEANUP_JOURNAL_DIR: journalDir },
    base,
    { keepOutput: false },
  );
  return {
    url: await started.listening,
    pid: started.child.pid as number,
    async stop() {
      started.child.kill('SIGTERM');
      await started.exited;
    },
  };
};

const service = await startBenchService();
try {
  const { url } = service;
  await fetch(`${url}/api/v1/staging`);
  let loading = true;
  const clearStatuses: number[] = [];
  const clearing = (async () => {
    for (const runPath of cleared) {
      if (!loading) break;
      clearStatuses.push((await fetch(`${url}/api/v1/staging/${runPath}/clear`, { method: 'POST' })).status);
    }
  })();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: [
      { method: 'GET', path: '/api/v1/staging' },
      ...listed.slice(0, 20).map((runPath) => ({ method: 'GET' as const, path: `/api/v1/staging/${runPath}/eligibility` })),
    ],
  });
  loading = false;
  await clearing;
  const unexpected = result.errors + result.timeouts + result.non2xx + clearStatuses.filter((status) => status !== 200).length;
  console.log(`\n| measure | value |\n| --- | --- |`);
  console.log(`| connections, duration | ${CONNECTIONS}, ${DURATION_S} s |`);
  console.log(`| requests (listing + eligibility) | ${result.requests.total} |`);
  console.log(`| requests per second (mean) | ${result.requests.average.toFixed(0)} |`);
  console.log(`| latency p50 / p99 | ${result.latency.p50} ms / ${result.latency.p99} ms |`);
  console.log(`| clears alongside | ${clearStatuses.length} (all 200: ${clearStatuses.every((s) => s === 200)}) |`);
  console.log(`| errors, timeouts, non-2xx | ${result.errors}, ${result.timeouts}, ${result.non2xx} |`);
  const peak = peakRssMiB(service.pid);
  console.log(`| peak RSS (target ≤ ${LOAD_PEAK_RSS_MIB} MiB) | ${peak.toFixed(0)} MiB: ${peak <= LOAD_PEAK_RSS_MIB ? 'met' : 'MISSED'} |`);
  await service.stop();
  const abuse = await runAbuse(startBenchService, staging);
  console.log(`\n| abuse | limit | result | peak RSS | health p99 | pass |\n| --- | --- | --- | --- | --- | --- |`);
  for (const row of abuse) {
    console.log(
      `| ${row.abuse} | ${row.limit} | ${row.result} | ${row.peakRssMiB.toFixed(0)} MiB | ${row.healthP99Ms.toFixed(1)} ms | ${row.pass ? 'yes' : 'NO'} |`,
    );
  }
  console.log(`\n${os.cpus().length} cores, Node ${process.version}; goals: ${ABUSE_GOALS}`);
  if (unexpected > 0) {
    console.error(`load test failed: ${unexpected} unexpected answers`);
    process.exitCode = 1;
  }
  if (peak > LOAD_PEAK_RSS_MIB) {
    console.error(`load test failed: peak RSS ${peak.toFixed(0)} MiB over ${LOAD_PEAK_RSS_MIB} MiB`);
    process.exitCode = 1;
  }
  if (abuse.some((row) => !row.pass)) {
    console.error('load test failed: an abuse missed its goals');
    process.exitCode = 1;
  }
} finally {
  await service.stop();
  fs.rmSync(base, { recursive: true, force: true });
}
