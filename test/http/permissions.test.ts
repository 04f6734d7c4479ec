// A staging tree this service may not write (another owner, an immutable
// folder) is a coded refusal seen early, never an internal error, and a clear
// that meets it deletes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createAppHarness } from '../helpers/appHarness.ts';
import { withImmutable } from '../helpers/faults.ts';
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

  it('refuses when the run folder itself is immutable, and when .exlab-wizard/ cannot take the new ingest.json', async () => {
    const h = await createAppHarness();
    const runDir = makeRun(h.root, RUN);
    const before = snapshotTree(runDir);
    for (const folder of [runDir, path.join(runDir, '.exlab-wizard')]) {
      const refused = await withImmutable([folder], () => h.http().post(`/api/v1/staging/${ENCODED}/clear`).expect(503));
      expect(refused.body.error).toMatchObject({ code: 'staging_permission_denied', details: { path: folder } });
      expect(snapshotTree(runDir)).toEqual(before);
    }
    expect(fs.existsSync(runDir)).toBe(true);
  });
});
