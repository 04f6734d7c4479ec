// One truth about counts: a row's data counts are the Wizard's, and its
// files_to_free / bytes_to_free are what a dry run, a clear and a job count.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../helpers/appHarness.ts';
import { makeRun } from '../helpers/stagingTree.ts';

const RUN = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32';
const ENCODED = encodeURIComponent(RUN);
const FILES = { 'a.tif': 'x'.repeat(5000), 'sub/b.tif': 'y'.repeat(7000), 'sub/deeper/c.txt': 'z' };

async function rowOf(h: AppHarness, runPath: string) {
  const { body } = await h.http().get('/api/v1/staging').expect(200);
  return body.runs.find((row: { run_path: string }) => row.run_path === runPath);
}

async function finishedJob(h: AppHarness, id: string) {
  for (;;) {
    const job = (await h.http().get(`/api/v1/jobs/${id}`).expect(200)).body;
    if (job.finished_at !== null) return job;
    await sleep(10);
  }
}

describe('counts of one run', () => {
  it('row files_to_free/bytes_to_free equal the dry run, the clear and the job; file_count/byte_total are the data only', async () => {
    const h = await createAppHarness();
    const runDir = makeRun(h.root, RUN, { files: FILES });
    const row = await rowOf(h, RUN);
    expect(row).toMatchObject({ file_count: 3, byte_total: 12_001 });
    const meta = fs.readdirSync(path.join(runDir, '.exlab-wizard'));
    const metaBytes = meta.reduce((sum, name) => sum + fs.lstatSync(path.join(runDir, '.exlab-wizard', name)).size, 0);
    expect(row).toMatchObject({ files_to_free: 3 + meta.length, bytes_to_free: 12_001 + metaBytes });

    const dry = (await h.http().post(`/api/v1/staging/${ENCODED}/clear?dry_run=true`).expect(200)).body;
    expect(dry).toMatchObject({ outcome: 'would_clear', files_freed: row.files_to_free, bytes_freed: row.bytes_to_free });

    const accepted = await h.http().post(`/api/v1/staging/${ENCODED}/clear`).set('prefer', 'respond-async').expect(202);
    expect(accepted.body.files_total).toBe(row.files_to_free);
    const job = await finishedJob(h, accepted.body.id);
    expect(job).toMatchObject({ state: 'succeeded', files_total: row.files_to_free, files_freed: row.files_to_free });
    expect(job.bytes_freed).toBe(row.bytes_to_free);
    expect(job.results[0]).toMatchObject({ outcome: 'cleared', files_freed: row.files_to_free, bytes_freed: row.bytes_to_free });
    expect(fs.existsSync(runDir)).toBe(false);
    const [record] = (await h.http().get('/api/v1/staging/clears').expect(200)).body.clears;
    expect(record).toMatchObject({ files_freed: row.files_to_free, bytes_freed: row.bytes_to_free });
  });

  it("gives a dry-run job the counts its runs would free, the rows' files_to_free and bytes_to_free", async () => {
    const h = await createAppHarness();
    const other = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-18T10-05';
    makeRun(h.root, RUN, { files: FILES });
    makeRun(h.root, other);
    const rows = [await rowOf(h, RUN), await rowOf(h, other)];
    const accepted = await h
      .http()
      .post('/api/v1/staging/clear?dry_run=true')
      .set('prefer', 'respond-async')
      .send({ run_paths: [RUN, other] })
      .expect(202);
    const job = await finishedJob(h, accepted.body.id);
    expect(job).toMatchObject({
      state: 'succeeded',
      files_freed: rows[0].files_to_free + rows[1].files_to_free,
      bytes_freed: rows[0].bytes_to_free + rows[1].bytes_to_free,
    });
    expect(fs.existsSync(path.join(h.root, RUN))).toBe(true);
  });

  it('says an interrupted clear is clearable as clear_interrupted, and a clear finishes it', async () => {
    const h = await createAppHarness();
    const runDir = makeRun(h.root, RUN, { state: 'cleared', files: FILES });
    const eligibility = (await h.http().get(`/api/v1/staging/${ENCODED}/eligibility`).expect(200)).body;
    expect(eligibility).toMatchObject({ reason: 'clear_interrupted', clearable: true, current_state: 'cleared' });
    expect(eligibility.message).toContain('Clearing it again finishes');
    expect((await rowOf(h, RUN)).reason).toBe('clear_interrupted');

    const answer = (await h.http().post(`/api/v1/staging/${ENCODED}/clear`).expect(200)).body;
    expect(answer.outcome).toBe('cleared');
    expect(fs.existsSync(runDir)).toBe(false);
  });
});
