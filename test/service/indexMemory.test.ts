// The index holds what it knows of 10,000 runs (of a few files each) once it
// has read the tree and answered within a generous bound: RSS moves with
// garbage collection and the machine's load (9 to 20 KiB a run measured),
// so this catches a gross leak, such as a listing kept per request. The
// tight figure (16 KiB) is the bench's: npm run bench, case index.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { startService } from '../helpers/serviceProcess.ts';
import { makeRun, makeTempDir } from '../helpers/stagingTree.ts';

const RUNS = 10_000;
const BOUND_KIB_PER_RUN = 48;

const rssKiB = (pid: number): number => Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

it(`holds what it knows of ${RUNS} runs in under ${BOUND_KIB_PER_RUN} KiB a run`, { timeout: 300_000 }, async () => {
  const dir = makeTempDir();
  const staging = path.join(dir, 'staging');
  for (let n = 0; n < RUNS; n += 1) {
    makeRun(staging, `EQ_${n % 20}/P_${n % 3}/Runs/Run_${String(n).padStart(5, '0')}`, { files: { 'd.raw': 'x'.repeat(n % 50) } });
  }
  const service = startService({ STAGING_CLEANUP_STAGING_ROOT: staging, STAGING_CLEANUP_JOURNAL_DIR: path.join(dir, 'journal') }, dir);
  try {
    const base = await service.listening;
    const pid = service.child.pid as number;
    const atStart = rssKiB(pid);
    const listing = (await (await fetch(`${base}/api/v1/staging`)).json()) as { runs: unknown[] };
    expect(listing.runs).toHaveLength(RUNS);
    expect((await fetch(`${base}/api/v1/staging/capacity`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((rssKiB(pid) - atStart) / RUNS).toBeLessThan(BOUND_KIB_PER_RUN);
  } finally {
    service.child.kill('SIGTERM');
    await service.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
