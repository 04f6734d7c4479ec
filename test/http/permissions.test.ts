// A staging tree this service may not write (another owner, an immutable
// folder) is a coded refusal seen early, never an internal error, and a clear
// that meets it deletes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createAppHarness } from '../helpers/appHarness.ts';
import { withAppendOnly, withImmutable } from '../helpers/faults.ts';
import { describeAsRoot } from '../helpers/root.ts';
import { makeRun, snapshotTree } from '../helpers/stagingTree.ts';

const RUN = 'CONFOCAL_01/PROJ-0042/Runs/Run_2026-04-17T14-32';
const ENCODED = encodeURIComponent(RUN);

describeAsRoot('a staging tree this service may not write', () => {
  it('refuses a clear as 503 staging_permission_denied naming the parent and the uid when the parent is immutable, deleting nothing', async () => {
    const h = await createAppHarness();
    const runDir = makeRun(h.root, RUN);
    const parent = path.dirname(runDir);
    const before = snapshotTree(runDir);
    const eligibility = await withImmutable([parent], () =>
      h.http().get(`/api/v1/staging/${ENCODED}/eligibility`).expect(200),
    );
    expect(eligibility.body).toMatchObject({ reason: 'staging_permission_denied', clearable: false });
    expect(eligibility.body.message).toContain(parent);

    for (const dryRun of [false, true]) {
      const refused = await withImmutable([parent], () =>
        h.http().post(`/api/v1/staging/${ENCODED}/clear?dry_run=${dryRun}`).expect(503),
      );
      expect(refused.body.error).toMatchObject({
        code: 'staging_permission_denied',
        details: { path: parent, error_code: 'EPERM', uid: process.getuid!(), gid: process.getgid!() },
      });
      expect(refused.body.error.message).toContain(`uid ${process.getuid!()}`);
      expect(snapshotTree(runDir)).toEqual(before);
    }
    await h.http().post(`/api/v1/staging/${ENCODED}/clear`).expect(200);
  });

  it.each([
    ['the run folder itself is immutable', ''],
    ['.exlab-wizard/ is immutable (it cannot take the new ingest.json)', '.exlab-wizard'],
  ])('refuses when %s, deleting nothing', async (_, inside) => {
    const h = await createAppHarness();
    const runDir = makeRun(h.root, RUN);
    const before = snapshotTree(runDir);
    const folder = path.join(runDir, inside);
    const refused = await withImmutable([folder], () => h.http().post(`/api/v1/staging/${ENCODED}/clear`).expect(503));
    expect(refused.body.error).toMatchObject({ code: 'staging_permission_denied', details: { path: folder } });
    expect(snapshotTree(runDir)).toEqual(before);
  });

  it('refuses before deleting anything when the parent is append-only (entries can be added there, never removed)', async () => {
    const h = await createAppHarness();
    const runDir = makeRun(h.root, RUN);
    const parent = path.dirname(runDir);
    const before = snapshotTree(runDir);
    const [eligibility, refused] = await withAppendOnly([parent], async () => [
      await h.http().get(`/api/v1/staging/${ENCODED}/eligibility`).expect(200),
      await h.http().post(`/api/v1/staging/${ENCODED}/clear`).expect(503),
    ]);
    expect(eligibility!.body.reason).toBe('staging_permission_denied');
    expect(refused!.body.error).toMatchObject({ code: 'staging_permission_denied', details: { path: parent, error_code: 'EPERM' } });
    expect(snapshotTree(runDir)).toEqual(before);
    expect(fs.readdirSync(parent)).toEqual([path.basename(runDir)]);
  });

  it('health finds an append-only staging root unwritable, and leaves nothing in it', async () => {
    const h = await createAppHarness();
    const down = await withAppendOnly([h.root], () => h.http().get('/api/v1/health').set('cache-control', 'no-cache').expect(503));
    expect(down.body.checks.staging_root_writable).toMatchObject({ ok: false });
    expect(fs.readdirSync(h.root)).toEqual([]);
  });
});
