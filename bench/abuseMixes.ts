// The abusive mixes of npm run bench:load (abuse.ts runs each against a
// service of its own):
// - journal: sets of 1000 missing runs and of 1000 journaled runs, against a
//   journal of 20,000 records written by another replica before the start;
// - long sets: asynchronous sets of 1000 long run paths sent until the queue
//   refuses, and eight job listings at once while they run;
// - many jobs: 200 asynchronous clears of real runs, from a few connections;
// - event clients: 150 event-stream clients that never read, then 6000
//   clear_done events.
// Each says what it saw, and whether that is what the limits promise. One
// cohesive file (the four mixes and the little they share), hence its length.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeRun } from '../test/helpers/stagingTree.ts';
import { rssMiB, timed } from './measure.ts';

const JOURNAL_RECORDS = 20_000;
const SET_SIZE = 1000;
const SMALL_RUNS = 200;
const EVENT_CLIENTS = 150;
const MANY_JOBS_CONNECTIONS = 1;
const MAX_MISSING_SET_MS = 1000;
export const MISSING_SET_GOAL = `a set of ${SET_SIZE} missing runs < ${MAX_MISSING_SET_MS} ms`;

export interface MixResult {
  said: string[];
  // What was seen is what the limits promise (a goal missed, a limit not held: false).
  ok: boolean;
}

const journaled = (i: number): string => `JOURNALED/P/Runs/Run_${String(i).padStart(5, '0')}`;
const missing = (tag: string, i: number): string => `MISSING/${tag}/Runs/Run_${String(i).padStart(5, '0')}`;
// At the 255-byte limit of each segment: events and results of about 2 KB.
const longMissing = (tag: string, i: number): string =>
  `${'E'.repeat(255)}/${tag.padEnd(255, 'P')}/Runs/Run_${String(i).padStart(5, '0')}_${'x'.repeat(240)}`;
const smallRun = (i: number): string => `MANY/P/Runs/Run_${String(i).padStart(3, '0')}`;

// Before the start: another replica's journal of 20,000 clears, and the
// small runs the many-jobs mix clears.
export function prepareAbuse(staging: string, journalDir: string): void {
  fs.mkdirSync(journalDir, { recursive: true });
  const lines = Array.from({ length: JOURNAL_RECORDS }, (_, i) =>
    JSON.stringify({
      run_path: journaled(i),
      equipment_id: 'JOURNALED',
      project_name: 'P',
      run_kind: 'experimental',
      nas_path: `//nas01/lab/${journaled(i)}`,
      verified_at: '2026-01-01T00:00:00Z',
      cleared_at: new Date(Date.UTC(2026, 0, 2) + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
      host: 'replica-old',
      actor: 'bench',
      files_freed: 200,
      bytes_freed: 20_000,
      duration_ms: 40,
      outcome: 'cleared',
      resumed: false,
    }),
  );
  fs.writeFileSync(path.join(journalDir, 'clears.replica-old.jsonl'), `${lines.join('\n')}\n`);
  const files = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.dat`, 'x'.repeat(100)]));
  for (let i = 0; i < SMALL_RUNS; i += 1) makeRun(staging, smallRun(i), { files });
}

async function post(url: string, body: unknown, prefer?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(prefer ? { prefer } : {}) },
    body: JSON.stringify(body),
  });
}

interface JobSummary {
  state: string;
}

async function jobsPending(url: string): Promise<JobSummary[]> {
  const { jobs } = (await (await fetch(`${url}/api/v1/jobs?limit=200`)).json()) as { jobs: JobSummary[] };
  return jobs.filter((job) => job.state === 'queued' || job.state === 'running');
}

async function untilNoJobPending(url: string, onPoll: (pending: JobSummary[]) => void = () => undefined): Promise<void> {
  for (let pending = await jobsPending(url); pending.length > 0; pending = await jobsPending(url)) {
    onPoll(pending);
    await sleep(200);
  }
}

export async function journalMix(url: string): Promise<MixResult> {
  const sets = [
    { name: 'missing', paths: Array.from({ length: SET_SIZE }, (_, i) => missing('J', i)), expect: 'run_not_found' },
    { name: 'journaled', paths: Array.from({ length: SET_SIZE }, (_, i) => journaled(i * 20)), expect: 'already_cleared' },
  ];
  const said: string[] = [];
  let ok = true;
  for (const set of sets) {
    let results: Array<{ outcome?: string; error?: { code: string } }> = [];
    const ms = await timed(async () => {
      results = ((await (await post(`${url}/api/v1/staging/clear`, { run_paths: set.paths })).json()) as { results: typeof results }).results;
    });
    const right = results.filter((result) => (result.outcome ?? result.error?.code) === set.expect).length;
    said.push(`set of ${SET_SIZE} ${set.name} runs: ${ms.toFixed(0)} ms (${right} ${set.expect})`);
    ok &&= right === SET_SIZE && (set.name !== 'missing' || ms < MAX_MISSING_SET_MS);
  }
  const recent = await timed(() => fetch(`${url}/api/v1/staging/clears?limit=1000`).then((r) => r.arrayBuffer()));
  said.push(`1000 newest records: ${recent.toFixed(0)} ms`);
  return { said, ok };
}

export async function longSetsMix(url: string, staging: string): Promise<MixResult> {
  // Absolute, each segment at its 255-byte limit: about 830 characters.
  const longPath = (job: number, i: number) => `${staging}/${longMissing(`L${job}`, i)}`;
  const statuses: number[] = [];
  let biggestListing = 0;
  const listings = async () => {
    const bodies = await Promise.all(Array.from({ length: 8 }, () => fetch(`${url}/api/v1/jobs?limit=200`).then((r) => r.arrayBuffer())));
    biggestListing = Math.max(biggestListing, ...bodies.map((body) => body.byteLength));
  };
  let firstJob = '';
  for (let job = 0; job < 200; job += 1) {
    const response = await post(`${url}/api/v1/staging/clear`, { run_paths: Array.from({ length: SET_SIZE }, (_, i) => longPath(job, i)) }, 'respond-async');
    statuses.push(response.status);
    const body = (await response.json()) as { id?: string };
    firstJob ||= body.id ?? '';
    if (job % 25 === 0) await listings();
  }
  await listings();
  const detail = (await (await fetch(`${url}/api/v1/jobs/${firstJob}`)).arrayBuffer()).byteLength;
  await untilNoJobPending(url);
  const accepted = statuses.filter((status) => status === 202).length;
  const refused = statuses.filter((status) => status === 503).length;
  return {
    said: [
      `200 sets of ${SET_SIZE} paths (~830 chars): ${accepted} accepted, ${refused} refused 503 job_queue_full`,
      `8 listings at once: at most ${(biggestListing / 1024).toFixed(0)} KiB each; a job's first page ${(detail / 1024).toFixed(0)} KiB`,
    ],
    ok: accepted + refused === 200 && refused > 0,
  };
}

// The clears go out one after another, as fast as they are answered, as a
// script asking for 200 jobs would: the mix is the jobs, not a flood of
// requests (200 sent at once delay health by the time it takes to answer
// them all: about 0.3 s here; see RELIABILITY.md "Known limits").
export async function manyJobsMix(url: string): Promise<MixResult> {
  const statuses: number[] = [];
  let next = 0;
  const connection = async (): Promise<void> => {
    for (let i = next++; i < SMALL_RUNS; i = next++) {
      const response = await fetch(`${url}/api/v1/staging/${smallRun(i)}/clear`, { method: 'POST', headers: { prefer: 'respond-async' } });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: MANY_JOBS_CONNECTIONS }, connection));
  let mostRunning = 0;
  await untilNoJobPending(url, (pending) => {
    mostRunning = Math.max(mostRunning, pending.filter((job) => job.state === 'running').length);
  });
  const { jobs } = (await (await fetch(`${url}/api/v1/jobs?limit=200`)).json()) as { jobs: JobSummary[] };
  const accepted = statuses.filter((status) => status === 202).length;
  const succeeded = jobs.filter((job) => job.state === 'succeeded').length;
  const refused = statuses.filter((status) => status === 503).length;
  return {
    said: [
      `${SMALL_RUNS} clears as jobs, one after another: ${accepted} accepted, ${refused} refused 503 job_queue_full`,
      `at most ${mostRunning} running at once; ${succeeded} jobs listed succeeded`,
    ],
    ok: accepted + refused === SMALL_RUNS && mostRunning <= 2 && succeeded === accepted,
  };
}

// A client that takes the answer's head, then reads nothing more.
function idleClient(url: string): Promise<{ socket: net.Socket; status: number }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () =>
      socket.write('GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n'),
    );
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      resolve({ socket, status: Number(chunk.toString('latin1').split(' ')[1]) });
    });
  });
}

export async function eventClientsMix(url: string, pid: number): Promise<MixResult> {
  // 6000 clear_done events of about 2 KB: six sets of 1000 long missing runs.
  const sendEvents = async (round: string) => {
    for (let set = 0; set < 6; set += 1) {
      await post(`${url}/api/v1/staging/clear`, { run_paths: Array.from({ length: SET_SIZE }, (_, i) => longMissing(`${round}${set}`, i)) });
    }
  };
  // Once with no client, so that what the sets cost is in the RSS before the
  // clients connect.
  await sendEvents('W');
  const before = rssMiB(pid);
  const clients = await Promise.all(Array.from({ length: EVENT_CLIENTS }, () => idleClient(url)));
  const accepted = clients.filter((client) => client.status === 200);
  await sendEvents('E');
  const after = rssMiB(pid);
  const dropped = await Promise.all(
    accepted.map(
      ({ socket }) =>
        new Promise<boolean>((resolve) => {
          let tail = '';
          socket.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString('latin1')).slice(-4096)));
          socket.on('close', () => resolve(tail.includes('event: dropped')));
          socket.resume();
          setTimeout(() => socket.destroy(), 5000).unref();
        }),
    ),
  );
  for (const { socket } of clients) socket.destroy();
  return {
    said: [
      `${EVENT_CLIENTS} clients that never read: ${accepted.length} accepted, ${clients.length - accepted.length} refused 503 event_clients_full`,
      `6000 clear_done events of ~2 KB: RSS ${before.toFixed(0)} MiB before the clients, ${after.toFixed(0)} MiB after the events; ${dropped.filter(Boolean).length} dropped too far behind`,
    ],
    ok: accepted.length === 100,
  };
}
