// The real service (node dist/main.js) killed with SIGKILL in the middle of
// clearing a run of 100k files, then started again with the same host label:
// its run lock, whose holder is gone, must not hold the restart up.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildRun } from '../helpers/bigRun.ts';
import { readJournal } from '../helpers/journal.ts';
import { lockPathOf } from '../../src/storage/runLock.ts';
import { startService, type ServiceProcess } from '../helpers/serviceProcess.ts';
import { openEvents } from '../helpers/sseClient.ts';
import { makeTempDir } from '../helpers/stagingTree.ts';
import { isMounted, mountTmpfs, unmount } from '../helpers/tmpfs.ts';
import { describeAsRoot } from '../helpers/root.ts';

const RUN = 'CONFOCAL_01/PROJ-0042/Runs/Run_crash';
const FILES = 100_000;
// Far longer than the tests: only knowing the holder is gone can free the lock.
const LOCK_STALE_S = 600;

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
async function clearAndKill(): Promise<{ runDir: string; torn: number; reads: number; pid: number }> {
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
  // The killed clear's lock stays behind, naming its holder.
  const holder = JSON.parse(fs.readFileSync(path.join(lockPathOf(runDir), 'holder.json'), 'utf8'));
  expect(holder).toMatchObject({ host: 'orch-1', pid: service.child.pid });
  return { runDir, torn, reads, pid: holder.pid };
}

// The restarted service took the dead process's lock over before answering
// anything: the lock is gone, or (its first sweep already at work) its own.
function expectTakeoverAtStart(service: ServiceProcess, runDir: string, killedPid: number): void {
  const holderFile = path.join(lockPathOf(runDir), 'holder.json');
  const holder = fs.existsSync(holderFile) ? (JSON.parse(fs.readFileSync(holderFile, 'utf8')) as { pid: number }) : null;
  expect(holder?.pid ?? service.child.pid).toBe(service.child.pid);
  const takeover = service.logLines().find((line) => String(line.msg).startsWith('lock takeover'));
  expect(takeover).toMatchObject({ level: 40, lock: lockPathOf(runDir), holder_host: 'orch-1', holder_pid: killedPid });
}

describeAsRoot('a service killed mid-clear', () => {
  it('leaves ingest.json whole and cleared; after a restart the first clear answers 200 and finishes it, journaled as resumed', async () => {
    const { runDir, torn, reads, pid } = await clearAndKill();
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
    expectTakeoverAtStart(again, runDir, pid);
    const listed = (await (await fetch(`${url}/api/v1/staging`)).json()) as { runs: Array<{ run_path: string; current_state: string }> };
    expect(listed.runs).toMatchObject([{ run_path: RUN, current_state: 'cleared' }]);
    const response = await fetch(`${url}/api/v1/staging/${RUN}/clear`, { method: 'POST' });
    const answer = (await response.json()) as { outcome: string; files_freed: number };
    expect(response.status, JSON.stringify(answer)).toBe(200);
    expect(answer).toMatchObject({ outcome: 'cleared', files_freed: left });
    expect(fs.existsSync(runDir)).toBe(false);
    expect(journal()).toMatchObject([{ run_path: RUN, outcome: 'cleared', resumed: true, files_freed: left }]);
  }, 120_000);

  it('is finished by the first scheduled sweep after a restart, journaled as resumed', async () => {
    const { runDir, pid } = await clearAndKill();
    const left = remainingFiles(runDir);
    expect(left).toBeGreaterThan(0);
    const again = start({ STAGING_CLEANUP_MODE: 'scheduled', STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '1' });
    await again.listening;
    expectTakeoverAtStart(again, runDir, pid);
    const sweeps = (): Array<Record<string, unknown>> => again.logLines().filter((line) => line.msg === 'sweep finished');
    const deadline = Date.now() + 60_000;
    while (sweeps().length === 0 && Date.now() < deadline) await sleep(50);
    expect(sweeps()[0]).toMatchObject({ cleared: 1, skipped: 0, failed: 0, actor: 'sweeper' });
    expect(fs.existsSync(runDir)).toBe(false);
    expect(journal()).toMatchObject([{ run_path: RUN, actor: 'sweeper', outcome: 'cleared', resumed: true, files_freed: left }]);
  }, 120_000);
});
