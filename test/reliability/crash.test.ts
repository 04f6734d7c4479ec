// The real service (node dist/main.js) killed with SIGKILL in the middle of
// clearing a run of 100k files, then started again.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRun } from '../helpers/bigRun.ts';
import { readJournal } from '../helpers/journal.ts';
import { startService, type ServiceProcess } from '../helpers/serviceProcess.ts';
import { openEvents } from '../helpers/sseClient.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';
import { isMounted, mountTmpfs, unmount } from '../helpers/tmpfs.ts';

const RUN = 'CONFOCAL_01/PROJ-0042/Runs/Run_crash';
const FILES = 100_000;
// The killed service's lock is taken over once stale; shorter than the 20 s default, to keep the test quick.
const LOCK_STALE_S = 2;

let base: string;
let staging: string;
let journalDir: string;
const running: ServiceProcess[] = [];

beforeEach(() => {
  base = makeTempDir();
  staging = path.join(base, 'staging');
  journalDir = path.join(base, 'journal');
  // A tmpfs keeps building and removing 100k files quick; the journal stays on disk.
  mountTmpfs(staging, '2g');
});

afterEach(async () => {
  for (const service of running.splice(0)) {
    service.child.kill('SIGKILL');
    await service.exited;
  }
  if (isMounted(staging)) unmount(staging);
  fs.rmSync(base, { recursive: true, force: true });
});

function start(env: Record<string, string> = {}): ServiceProcess {
  const service = startService(
    {
      STAGING_CLEANUP_STAGING_ROOT: staging,
      STAGING_CLEANUP_JOURNAL_DIR: journalDir,
      STAGING_CLEANUP_HOST_LABEL: 'orch-1',
      STAGING_CLEANUP_LOCK_STALE_SECONDS: String(LOCK_STALE_S),
      ...env,
    },
    base,
  );
  running.push(service);
  return service;
}

function remainingFiles(runDir: string): number {
  if (!fs.existsSync(runDir)) return 0;
  return (fs.readdirSync(runDir, { recursive: true }) as string[]).filter((entry) => !fs.lstatSync(path.join(runDir, entry)).isDirectory()).length;
}

function journal(): Array<Record<string, unknown>> {
  return readJournal(journalDir);
}

// Starts a clear and SIGKILLs the service once it has deleted some files.
// Meanwhile ingest.json is read again and again: it must always be whole.
async function clearAndKill(): Promise<{ runDir: string; torn: number; reads: number }> {
  const runDir = buildRun(staging, RUN, { folders: 100, filesPerFolder: FILES / 100 });
  const service = start();
  const url = await service.listening;
  const events = openEvents(`${url}/api/v1/events`);
  await events.status;
  const ingest = path.join(runDir, '.exlab-wizard/ingest.json');
  let killed = false;
  let torn = 0;
  let reads = 0;
  const sampler = (async () => {
    while (!killed) {
      const text = fs.readFileSync(ingest, 'utf8');
      reads += 1;
      try {
        JSON.parse(text);
      } catch {
        torn += 1;
      }
      await sleep(1);
    }
  })();
  await fetch(`${url}/api/v1/staging/${RUN}/clear`, { method: 'POST', headers: { prefer: 'respond-async' } });
  while (!events.events.some((event) => event.event === 'clear_progress' && (event.data.files_freed as number) > 0)) {
    await sleep(1);
  }
  service.child.kill('SIGKILL');
  killed = true;
  await service.exited;
  await sampler;
  events.close();
  return { runDir, torn, reads };
}

describe('a service killed mid-clear', () => {
  it('leaves ingest.json whole and cleared while data remains; the next clear finishes, journaled as resumed', async () => {
    const { runDir, torn, reads } = await clearAndKill();
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
    const left = remainingFiles(runDir);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(FILES + 2);
    const ingest = JSON.parse(fs.readFileSync(path.join(runDir, '.exlab-wizard/ingest.json'), 'utf8'));
    expect(ingest.current_state).toBe('cleared');
    expect(journal()).toEqual([]);

    const again = start();
    const url = await again.listening;
    const listed = (await (await fetch(`${url}/api/v1/staging`)).json()) as { runs: Array<{ run_path: string; current_state: string }> };
    expect(listed.runs).toMatchObject([{ run_path: RUN, current_state: 'cleared' }]);
    // The killed process's lock is still there: 409 until it goes stale.
    let response = await fetch(`${url}/api/v1/staging/${RUN}/clear`, { method: 'POST' });
    while (response.status === 409) {
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('clear_in_progress');
      await sleep(500);
      response = await fetch(`${url}/api/v1/staging/${RUN}/clear`, { method: 'POST' });
    }
    const answer = (await response.json()) as { outcome: string; files_freed: number };
    expect(response.status).toBe(200);
    expect(answer).toMatchObject({ outcome: 'cleared', files_freed: left });
    expect(fs.existsSync(runDir)).toBe(false);
    expect(journal()).toMatchObject([{ run_path: RUN, outcome: 'cleared', resumed: true, files_freed: left }]);
  }, 120_000);

  it('is finished by the next sweep in scheduled mode', async () => {
    const { runDir } = await clearAndKill();
    const left = remainingFiles(runDir);
    expect(left).toBeGreaterThan(0);
    start({ STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '1' });
    const deadline = Date.now() + 60_000;
    while (fs.existsSync(runDir) && Date.now() < deadline) await sleep(50);
    expect(fs.existsSync(runDir)).toBe(false);
    while (journal().length === 0 && Date.now() < deadline) await sleep(50);
    expect(journal()).toMatchObject([{ run_path: RUN, actor: 'sweeper', resumed: true, files_freed: left }]);
  }, 120_000);
});
