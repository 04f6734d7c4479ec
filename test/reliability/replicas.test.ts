// Two service processes on one staging root, as two replicas sharing the
// staging mount and the journal folder (each its own journal file).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal } from '../helpers/journal.ts';
import { startService, type ServiceProcess } from '../helpers/serviceProcess.ts';
import { makeRun, makeTempDir, treeTotals } from '../helpers/stagingTree.ts';

interface Answer {
  status: number;
  results: Array<{ run_path: string; outcome?: string; files_freed?: number; error?: { code: string } }>;
}

let base: string;
const running: ServiceProcess[] = [];
afterEach(async () => {
  for (const service of running.splice(0)) {
    service.child.kill('SIGTERM');
    await service.exited;
  }
  fs.rmSync(base, { recursive: true, force: true });
});

async function post(url: string, body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: response.status, results: ((await response.json()) as { results: Answer['results'] }).results };
}

describe('two replicas on one staging root', () => {
  it('race clears of 20 runs plus a sweep: each run cleared once, no 5xx, the counts add up', async () => {
    base = makeTempDir();
    const staging = path.join(base, 'staging');
    const journalDir = path.join(base, 'journal');
    const files = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`d${i % 6}/f${i}.dat`, 'x'.repeat(i % 40)]));
    const runPaths = Array.from({ length: 20 }, (_, i) => `EQ/P${i % 3}/Runs/Run_${String(i).padStart(2, '0')}`);
    let totalFiles = 0;
    for (const runPath of runPaths) totalFiles += treeTotals(makeRun(staging, runPath, { files })).files;

    const replicas = ['replica-a', 'replica-b'].map((host) =>
      startService(
        {
          STAGING_CLEANUP_STAGING_ROOT: staging,
          STAGING_CLEANUP_JOURNAL_DIR: journalDir,
          STAGING_CLEANUP_HOST_LABEL: host,
          STAGING_CLEANUP_MODE: 'scheduled',
          STAGING_CLEANUP_SWEEP_INTERVAL_SECONDS: '3600',
        },
        base,
      ),
    );
    running.push(...replicas);
    const [a, b] = await Promise.all(replicas.map((replica) => replica.listening));
    const answers = await Promise.all([
      post(`${a}/api/v1/staging/clear`, { run_paths: runPaths }),
      post(`${b}/api/v1/staging/clear`, { run_paths: [...runPaths].reverse() }),
      post(`${a}/api/v1/staging/sweep`),
      post(`${b}/api/v1/staging/sweep`),
    ]);

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    const results = answers.flatMap((answer) => answer.results);
    const outcomes = results.map((result) => result.outcome ?? result.error?.code);
    expect(outcomes.every((o) => ['cleared', 'already_cleared', 'clear_in_progress'].includes(o ?? ''))).toBe(true);
    for (const runPath of runPaths) {
      expect(results.filter((r) => r.run_path === runPath && r.outcome === 'cleared'), runPath).toHaveLength(1);
    }
    const freed = results.filter((r) => r.outcome === 'cleared').reduce((sum, r) => sum + (r.files_freed ?? 0), 0);
    expect(freed).toBe(totalFiles);
    expect(fs.readdirSync(staging, { recursive: true }).filter((entry) => String(entry).includes('Run_'))).toEqual([]);
    const journalFiles = fs.readdirSync(journalDir).filter((name) => name.startsWith('clears.')).sort();
    expect(journalFiles).toEqual(['clears.replica-a.jsonl', 'clears.replica-b.jsonl']);
    const records = readJournal(journalDir) as Array<{ run_path: string; files_freed: number }>;
    expect(records.map((record) => record.run_path).sort()).toEqual([...runPaths].sort());
    expect(records.reduce((sum, record) => sum + record.files_freed, 0)).toBe(totalFiles);
  }, 60_000);
});
