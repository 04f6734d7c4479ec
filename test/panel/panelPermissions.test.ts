// A run whose folder this service may not change (immutable here, as for a
// run written with a umask that closes it to the service's group) is never
// offered for clearing in the panel: no Clear button, the permission reason
// shown; the runs beside it keep theirs. Made immutable before the service
// reads the tree, as a run closed by its writer is: chattr notifies nothing,
// so a flag set later shows once the run changes or a clear of it is refused
// (README "Speed, and how fresh a row is").
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { setImmutable } from '../helpers/faults.ts';
import { describeBothWays, rowOf, servedPanel } from '../helpers/panelHarness.ts';
import { IS_ROOT } from '../helpers/root.ts';
import { makeRun } from '../helpers/stagingTree.ts';

const CLOSED = 'EQ/P/Runs/Run_closed';
const OPEN = 'EQ/P/Runs/Run_open';

describeBothWays('the staging panel beside a run it may not change', (route) => {
  const panel = servedPanel(
    {},
    (staging) => {
      makeRun(staging, CLOSED);
      makeRun(staging, OPEN);
      if (IS_ROOT) setImmutable(path.join(staging, CLOSED), true);
    },
    route,
  );
  // Before the panel's own teardown removes the tree (hooks after run last-registered first).
  afterAll(() => {
    if (IS_ROOT) setImmutable(path.join(panel.served.staging, CLOSED), false);
  });

  it.skipIf(!IS_ROOT)('offers no Clear for that run and says why, and offers it for the others', async () => {
    const { page } = await panel.open();
    await rowOf(page, OPEN).getByRole('button', { name: 'Clear' }).waitFor();
    expect(await rowOf(page, CLOSED).getByRole('button', { name: 'Clear' }).count()).toBe(0);
    expect(await rowOf(page, CLOSED).textContent()).toContain('This service may not delete here (permissions)');
  });
});
