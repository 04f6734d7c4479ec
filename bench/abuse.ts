// The abusive mixes of npm run bench:load (RELIABILITY.md "Bounded under
// abuse", the mixes in abuseMixes.ts), each against a service started and
// warmed for it, with health polled alongside: its peak RSS (goal: under
// 300 MiB) and health p99 (under 50 ms).
import { eventClientsMix, journalMix, longSetsMix, manyJobsMix, MISSING_SET_GOAL, type MixResult } from './abuseMixes.ts';
import { pollHealth } from './healthPoller.ts';
import { peakRssMiB, percentile, resetPeakRss } from './measure.ts';

const MAX_RSS_MIB = 300;
const MAX_HEALTH_P99_MS = 50;

export interface AbuseRow {
  abuse: string;
  limit: string;
  result: string;
  peakRssMiB: number;
  healthP99Ms: number;
  pass: boolean;
}

// A service started for one mix, on the bench's staging root and journal.
export interface BenchService {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function measured(
  start: () => Promise<BenchService>,
  abuse: string,
  limit: string,
  work: (service: BenchService) => Promise<MixResult>,
): Promise<AbuseRow> {
  const service = await start();
  try {
    // A service warm as one in use is: its first answers (code not yet
    // compiled) are not what the mix measures.
    for (let i = 0; i < 50; i += 1) await (await fetch(`${service.url}/api/v1/health`)).arrayBuffer();
    await (await fetch(`${service.url}/api/v1/jobs`)).arrayBuffer();
    resetPeakRss(service.pid);
    const stopPolling = pollHealth(service.url);
    const { said, ok } = await work(service);
    const latencies = await stopPolling();
    const peak = peakRssMiB(service.pid);
    const healthP99Ms = percentile(latencies, 99);
    const pass = ok && peak < MAX_RSS_MIB && healthP99Ms < MAX_HEALTH_P99_MS;
    return { abuse, limit, result: said.join('; '), peakRssMiB: peak, healthP99Ms, pass };
  } finally {
    await service.stop();
  }
}

// Each mix against a service of its own, started as an operator would.
export async function runAbuse(start: () => Promise<BenchService>, staging: string): Promise<AbuseRow[]> {
  return [
    await measured(start, 'a 20,000-record journal', 'index in memory, read where appended', ({ url }) => journalMix(url)),
    await measured(start, 'long sets as jobs, listed eight at once', '1000 paths a set; 20 jobs pending; pages of 50 jobs, 100 runs', ({ url }) =>
      longSetsMix(url, staging),
    ),
    await measured(start, 'many jobs at once', '20 jobs pending, 2 running', ({ url }) => manyJobsMix(url)),
    await measured(start, 'event clients that never read', '100 clients, 32 KiB backlog each', ({ url, pid }) => eventClientsMix(url, pid)),
  ];
}

export const ABUSE_GOALS = `peak RSS < ${MAX_RSS_MIB} MiB, health p99 < ${MAX_HEALTH_P99_MS} ms, ${MISSING_SET_GOAL}`;
