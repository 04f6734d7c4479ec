// npm run bench: the speed and memory goals of the service, each measured
// against the tool an admin would use instead, timed in the same run.
// Builds its own trees under BENCH_DIR (default: the system temp folder, on
// the disk a staging root lives on), runs each case BENCH_ROUNDS times (3)
// alternating with its baseline, prints medians and ratios, removes what it
// made, and exits non-zero when a target is missed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startService } from '../test/helpers/serviceProcess.ts';
import { median, peakRssMiB, percentile, rssMiB, settleDisk, timed, timedCommand } from './measure.ts';
import { buildRun } from '../test/helpers/bigRun.ts';
import { makeRun } from '../test/helpers/stagingTree.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LARGE_RUN_FOLDERS = Number(process.env.BENCH_LARGE_FOLDERS ?? 1000);
// The index case's runs, and another build (its dist/main.js) measured beside this one there.
const MANY_RUNS = Number(process.env.BENCH_MANY_RUNS ?? 10_000);
const BEFORE_MAIN = process.env.BENCH_BEFORE;
const base = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'staging-cleanup-bench-'));
// Folders written less than this long ago are judged entry by entry (treeDelete.ts).
const SETTLE_MS = 2500;
// Issue 29: the whole service (main thread and tree workers) at its peak.
const CLEAR_PEAK_RSS_MIB = 128;

interface Row {
  name: string;
  measured: string;
  baseline: string;
  result: string;
  target: string;
  pass: boolean;
}

const rows: Row[] = [];
const ms = (value: number): string => `${value.toFixed(0)} ms`;

async function withService<T>(
  root: string,
  work: (url: string, pid: number, spawnedAt: number) => Promise<T>,
  env: Record<string, string> = {},
  main?: string,
): Promise<T> {
  // The service refuses to start on a staging root that does not exist.
  fs.mkdirSync(root, { recursive: true });
  const spawnedAt = performance.now();
  const service = startService(
    {
      STAGING_CLEANUP_STAGING_ROOT: root,
      STAGING_CLEANUP_JOURNAL_DIR: path.join(base, 'journal'),
      STAGING_CLEANUP_LOG_LEVEL: 'info',
      ...env,
    },
    base,
    main ? { main } : {},
  );
  const url = await service.listening;
  try {
    return await work(url, service.child.pid as number, spawnedAt);
  } finally {
    service.child.kill('SIGTERM');
    await service.exited;
  }
}

async function clearRun(url: string, runPath: string): Promise<number> {
  const response = await fetch(`${url}/api/v1/staging/${runPath}/clear`, { method: 'POST' });
  const body = (await response.json()) as { outcome?: string; files_freed?: number };
  if (body.outcome !== 'cleared') throw new Error(`clear of ${runPath} answered ${JSON.stringify(body)}`);
  return body.files_freed ?? 0;
}

async function clearCase(): Promise<void> {
  const staging = path.join(base, 'clear', 'staging');
  const copies = path.join(base, 'clear', 'copies');
  const service: number[] = [];
  const rm: number[] = [];
  await withService(staging, async (url) => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const runPath = `BENCH/P/Runs/Run_clear_${round}`;
      buildRun(staging, runPath, { folders: 100, filesPerFolder: 1000 });
      const copy = buildRun(copies, runPath, { folders: 100, filesPerFolder: 1000 });
      settleDisk();
      await sleep(SETTLE_MS);
      const steps = [
        async () => service.push(await timed(() => clearRun(url, runPath))),
        async () => rm.push(await timedCommand('rm', ['-rf', copy])),
      ];
      for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
    }
  });
  console.log(`  service ${service.map(ms).join(', ')}; rm -rf ${rm.map(ms).join(', ')}`);
  // Each round's pair ran back to back on the same disk state: the ratio of
  // a pair is steadier than the ratio of medians on a noisy disk.
  const ratio = median(service.map((time, round) => time / (rm[round] as number)));
  rows.push({
    name: 'clear a run of 100k files (1000 per folder)',
    measured: ms(median(service)),
    baseline: `rm -rf ${ms(median(rm))}`,
    result: `${ratio.toFixed(2)}x (median of rounds)`,
    target: '≤ 1.3x',
    pass: ratio <= 1.3,
  });
}

// The 100-run tree of the listing goals (100 runs of 1000 files), settled.
async function buildHundredRuns(name: string): Promise<string> {
  const staging = path.join(base, name, 'staging');
  for (let run = 0; run < 100; run += 1) {
    buildRun(staging, `BENCH/P${run % 5}/Runs/Run_${String(run).padStart(3, '0')}`, { folders: 1, filesPerFolder: 1000 });
  }
  settleDisk();
  await sleep(SETTLE_MS);
  return staging;
}

async function listingCase(): Promise<void> {
  const staging = await buildHundredRuns('listing');
  const first: number[] = [];
  const du: number[] = [];
  const repeated: number[] = [];
  const scanLatencies: number[] = [];
  const list = async (url: string): Promise<void> => {
    const body = (await (await fetch(`${url}/api/v1/staging`)).json()) as { runs: unknown[] };
    if (body.runs.length !== 100) throw new Error(`listing answered ${body.runs.length} runs`);
  };
  for (let round = 0; round < ROUNDS; round += 1) {
    await withService(staging, async (url) => {
      const steps = [
        async () => first.push(await timed(() => list(url))),
        async () => du.push(await timedCommand('du', ['-sb', staging])),
      ];
      for (const step of round % 2 === 0 ? steps : steps.reverse()) await step();
      for (let again = 0; again < 10; again += 1) repeated.push(await timed(() => list(url)));
    });
    // A fresh service again, asked for its health all through its first scan.
    await withService(staging, async (url) => {
      scanLatencies.push(...(await probeRoute(url, '/api/v1/health', list(url))));
    });
  }
  console.log(`  first listing ${first.map(ms).join(', ')}; du -sb ${du.map(ms).join(', ')}`);
  const ratio = median(first) / median(du);
  rows.push({
    name: 'first listing of 100 runs of 1000 files',
    measured: ms(median(first)),
    baseline: `du -sb ${ms(median(du))}`,
    result: `${ratio.toFixed(2)}x`,
    target: '≤ 1.0x',
    pass: ratio <= 1,
  });
  rows.push({
    name: 'repeated listing of 100 runs, nothing changed',
    measured: `${median(repeated).toFixed(1)} ms`,
    baseline: '',
    result: `${median(repeated).toFixed(1)} ms`,
    target: '≤ 5 ms',
    pass: median(repeated) <= 5,
  });
  responsivenessRow('health p99 during a first listing (scan)', scanLatencies);
}

// The live index at a site's scale: MANY_RUNS small runs. The first listing,
// health and the capacity answer asked all through it, the same listing
// again with nothing changed, and again after one run changed; with
// BENCH_BEFORE, the same for that build, in the same run.
async function indexCase(): Promise<void> {
  const staging = path.join(base, 'index', 'staging');
  const runPath = (n: number): string => `EQ_${n % 20}/PROJ-${n % 3}/Runs/Run_${String(n).padStart(5, '0')}`;
  for (let n = 0; n < MANY_RUNS; n += 1) makeRun(staging, runPath(n), { files: { 'd.raw': 'x'.repeat(n % 100) } });
  settleDisk();
  await sleep(SETTLE_MS);
  const fetched = async (url: string, route: string): Promise<void> => {
    const response = await fetch(`${url}${route}`);
    if (response.status !== 200) throw new Error(`${route} answered ${response.status}`);
    await response.arrayBuffer();
  };
  const builds: Array<[string, string | undefined]> = [['this build', undefined], ...(BEFORE_MAIN ? [['before', BEFORE_MAIN] as [string, string]] : [])];
  for (const [label, main] of builds) {
    // What the same build holds over an empty root, answered once.
    const empty = await withService(
      path.join(base, 'index', 'empty'),
      async (url, pid) => {
        await fetched(url, '/api/v1/staging');
        return { rss: rssMiB(pid), heap: Math.min(await heapUsedMiB(url), await heapUsedMiB(url), await heapUsedMiB(url)) };
      },
      {},
      main,
    );
    const figures = await withService(
      staging,
      async (url, pid, spawnedAt) => {
        // From the start of the process: a build may read the tree before it listens.
        const first = fetched(url, '/api/v1/staging').then(() => performance.now() - spawnedAt);
        const [firstMs, health, capacity] = await Promise.all([
          first,
          probeRoute(url, '/api/v1/health', first),
          probeRoute(url, '/api/v1/staging/capacity', first),
        ]);
        const unchanged: number[] = [];
        const afterChange: number[] = [];
        // The least heap seen between listings: the nearest to what is live (a
        // listing of 10,000 rows leaves megabytes of garbage until a collection).
        const heaps: number[] = [];
        for (let round = 0; round < 10; round += 1) {
          unchanged.push(await timed(() => fetched(url, '/api/v1/staging')));
          heaps.push(await heapUsedMiB(url));
          fs.appendFileSync(path.join(staging, runPath(round * 7), 'd.raw'), 'y');
          afterChange.push(await timed(() => fetched(url, '/api/v1/staging')));
          heaps.push(await heapUsedMiB(url));
        }
        const perRun = (mib: number, emptyMib: number): number => ((mib - emptyMib) * 1024) / MANY_RUNS;
        const rssPerRun = perRun(rssMiB(pid), empty.rss);
        const heapPerRun = perRun(Math.min(...heaps), empty.heap);
        return { firstMs, health, capacity, unchanged: median(unchanged), changed: median(afterChange), rssPerRun, heapPerRun };
      },
      {},
      main,
    );
    const of = `${MANY_RUNS} runs (${label})`;
    console.log(`  ${of}: first (from the process's start) ${ms(figures.firstMs)}, unchanged ${figures.unchanged.toFixed(1)} ms, one changed ${figures.changed.toFixed(1)} ms`);
    rows.push({
      name: `repeated listing of ${of}, nothing changed`,
      measured: `${figures.unchanged.toFixed(1)} ms`,
      baseline: `first ${ms(figures.firstMs)} from start`,
      result: `${figures.unchanged.toFixed(1)} ms`,
      target: '≤ 50 ms',
      pass: figures.unchanged <= 50,
    });
    const ratio = figures.changed / figures.unchanged;
    rows.push({
      name: `listing of ${of} after one run changed`,
      measured: `${figures.changed.toFixed(1)} ms`,
      baseline: `unchanged ${figures.unchanged.toFixed(1)} ms`,
      result: `${ratio.toFixed(2)}x`,
      target: '≤ 2x',
      pass: ratio <= 2,
    });
    // The index keeps no entry per file: a few kilobytes a run, whatever it
    // holds. The JavaScript heap in use (the least seen between listings),
    // beside the process's resident memory (which adds
    // the tree workers' heaps and what V8 keeps reserved), both over those of
    // the same build serving an empty root.
    rows.push({
      name: `memory held for ${of}, once read and answered`,
      measured: `heap ${figures.heapPerRun.toFixed(1)} KiB a run`,
      baseline: `resident ${figures.rssPerRun.toFixed(1)} KiB a run`,
      result: `${figures.heapPerRun.toFixed(1)} KiB a run`,
      target: '≤ 16 KiB a run',
      pass: figures.heapPerRun <= 16,
    });
    responsivenessRow(`health p99 during a first listing of ${of}`, figures.health, 10);
    responsivenessRow(`capacity p99 during a first listing of ${of}`, figures.capacity, 10);
  }
}

// The service's JavaScript heap in use, from its own metrics.
async function heapUsedMiB(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const used = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
  if (used === undefined) throw new Error('the metrics carry no nodejs_heap_size_used_bytes');
  return Number(used) / 2 ** 20;
}

// Latencies of `route`, asked back to back until `until` settles.
async function probeRoute(url: string, route: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const latencies: number[] = [];
  while (!done) latencies.push(await timed(async () => (await fetch(`${url}${route}`)).arrayBuffer()));
  return latencies;
}

// What the capacity answer costs once the listing is warm: its own median,
// beside the listing's (the capacity answer walks the same cached catalog).
async function capacityCase(): Promise<void> {
  const staging = await buildHundredRuns('capacity');
  const capacity: number[] = [];
  const listing: number[] = [];
  // The floor of any answer over HTTP (auth, hooks, a small JSON body).
  const whoami: number[] = [];
  const ask = async (url: string, route: string): Promise<void> => {
    const response = await fetch(`${url}${route}`);
    if (response.status !== 200) throw new Error(`${route} answered ${response.status}`);
    await response.arrayBuffer();
  };
  await withService(staging, async (url) => {
    await ask(url, '/api/v1/staging');
    for (let round = 0; round < ROUNDS * 10; round += 1) {
      capacity.push(await timed(() => ask(url, '/api/v1/staging/capacity')));
      listing.push(await timed(() => ask(url, '/api/v1/staging')));
      whoami.push(await timed(() => ask(url, '/api/v1/whoami')));
    }
  });
  const shown = (values: number[]) => `${median(values).toFixed(1)} ms`;
  console.log(`  capacity p50 ${shown(capacity)}; listing p50 ${shown(listing)}; whoami p50 ${shown(whoami)}`);
  rows.push({
    name: 'capacity answer on 100 runs, warm listing',
    measured: shown(capacity),
    baseline: `listing ${shown(listing)}, whoami ${shown(whoami)}`,
    result: `${median(capacity).toFixed(1)} ms`,
    target: '≤ 5 ms',
    pass: median(capacity) <= 5,
  });
}

// The pressure sweep's own cost: its wall time over the sum of its clears'
// durations, on a warm listing (a running service lists every scrape of its
// metrics; a first listing of new runs is the listing's cost, measured
// above). The runs are verified 30 min before the sweep (a tolerance of an
// hour covers their files, written just before); the marks (2 %, 1 %) make
// it clear every run of the round.
async function pressureCase(): Promise<void> {
  const staging = path.join(base, 'pressure', 'staging');
  const sweeps: number[] = [];
  const clears: number[] = [];
  const env = {
    STAGING_CLEANUP_PRESSURE_HIGH_WATER_PERCENT: '2',
    STAGING_CLEANUP_PRESSURE_TARGET_PERCENT: '1',
    STAGING_CLEANUP_PRESSURE_MIN_RETAIN_HOURS: '0',
    STAGING_CLEANUP_MTIME_TOLERANCE_SECONDS: '3600',
    STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '86400',
  };
  await withService(
    staging,
    async (url) => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const verifiedAt = `${new Date(Date.now() - 1_800_000).toISOString().slice(0, 19)}Z`;
        for (let run = 0; run < 5; run += 1) {
          const runDir = buildRun(staging, `BENCH/P/Runs/Run_pressure_${round}_${run}`, { folders: 10, filesPerFolder: 1000 });
          const ingestFile = path.join(runDir, '.exlab-wizard', 'ingest.json');
          const ingest = JSON.parse(fs.readFileSync(ingestFile, 'utf8')) as { history: Array<{ at: string }> };
          (ingest.history.at(-1) as { at: string }).at = verifiedAt;
          fs.writeFileSync(ingestFile, JSON.stringify(ingest));
        }
        settleDisk();
        await sleep(SETTLE_MS);
        await (await fetch(`${url}/api/v1/staging`)).arrayBuffer();
        let report: { results: Array<{ duration_ms?: number }> } = { results: [] };
        sweeps.push(
          await timed(async () => {
            const response = await fetch(`${url}/api/v1/staging/capacity/sweep`, { method: 'POST' });
            report = (await response.json()) as typeof report;
          }),
        );
        if (report.results.length !== 5) throw new Error(`the pressure sweep cleared ${report.results.length} runs, not 5`);
        clears.push(report.results.reduce((sum, result) => sum + (result.duration_ms ?? 0), 0));
      }
    },
    env,
  );
  const overheads = sweeps.map((sweep, round) => sweep / (clears[round] as number) - 1);
  console.log(`  sweeps ${sweeps.map(ms).join(', ')}; their clears ${clears.map(ms).join(', ')}`);
  rows.push({
    name: 'pressure sweep of 5 runs of 10k files, over its clears (warm listing)',
    measured: ms(median(sweeps)),
    baseline: `clears ${ms(median(clears))}`,
    result: `+${(median(overheads) * 100).toFixed(1)} %`,
    target: '< 5 %',
    pass: median(overheads) < 0.05,
  });
}

function responsivenessRow(name: string, latencies: number[], targetMs = 50): void {
  const p99 = percentile(latencies, 99);
  rows.push({
    name,
    measured: `${latencies.length} requests`,
    baseline: `p50 ${percentile(latencies, 50).toFixed(1)} ms`,
    result: `p99 ${p99.toFixed(1)} ms`,
    target: `p99 ≤ ${targetMs} ms`,
    pass: p99 <= targetMs,
  });
}

async function responsivenessCase(): Promise<void> {
  const staging = path.join(base, 'responsive', 'staging');
  const latencies: number[] = [];
  await withService(staging, async (url) => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const runPath = `BENCH/P/Runs/Run_busy_${round}`;
      buildRun(staging, runPath, { folders: 100, filesPerFolder: 1000 });
      settleDisk();
      await sleep(SETTLE_MS);
      latencies.push(...(await probeRoute(url, '/api/v1/health', clearRun(url, runPath))));
    }
  });
  responsivenessRow('health p99 during a 100k-file clear', latencies);
}

async function memoryCase(): Promise<void> {
  const staging = path.join(base, 'memory', 'staging');
  const runPath = 'BENCH/P/Runs/Run_large';
  buildRun(staging, runPath, { folders: LARGE_RUN_FOLDERS, filesPerFolder: 1000 });
  settleDisk();
  await sleep(SETTLE_MS);
  const { files, idle, peak } = await withService(staging, async (url, pid) => {
    const idleRss = peakRssMiB(pid);
    const cleared = await clearRun(url, runPath);
    return { files: cleared, idle: idleRss, peak: peakRssMiB(pid) };
  });
  rows.push({
    name: `peak RSS while clearing a run of ${(files / 1e6).toFixed(2)}M files`,
    measured: `${peak.toFixed(0)} MiB`,
    baseline: `${idle.toFixed(0)} MiB at start`,
    result: `${peak.toFixed(0)} MiB`,
    target: `≤ ${CLEAR_PEAK_RSS_MIB} MiB`,
    pass: peak <= CLEAR_PEAK_RSS_MIB,
  });
}

function printRows(): void {
  const header = ['case', 'service', 'baseline', 'result', 'target', ''];
  const lines = rows.map((row) => [row.name, row.measured, row.baseline, row.result, row.target, row.pass ? 'met' : 'MISSED']);
  console.log(`\n${[header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n')}`);
  console.log(`\n${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${ROUNDS} rounds, trees in ${base}`);
}

try {
  const cases = {
    clear: clearCase,
    listing: listingCase,
    index: indexCase,
    capacity: capacityCase,
    pressure: pressureCase,
    responsive: responsivenessCase,
    memory: memoryCase,
  };
  const only = process.env.BENCH_CASES?.split(',') ?? Object.keys(cases);
  for (const [name, run] of Object.entries(cases)) {
    if (!only.includes(name)) continue;
    console.log(`running ${name} ...`);
    await run();
  }
  printRows();
  if (rows.some((row) => !row.pass)) process.exitCode = 1;
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
