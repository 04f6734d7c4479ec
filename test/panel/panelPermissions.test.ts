// A run whose folder this service may not change (immutable here, as for a
// run written with a umask that closes it to the service's group) is never
// offered for clearing in the panel: no Clear button, the permission reason
// shown; the runs beside it keep theirs.
import path from 'node:path';
import { expect, it } from 'vitest';
import { withImmutable } from '../helpers/faults.ts';
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
    },
    route,
  );

  it.skipIf(!IS_ROOT)('offers no Clear for that run and says why, and offers it for the others', async () => {
    await withImmutable([path.join(panel.served.staging, CLOSED)], async () => {
      const { page } = await panel.open();
      await rowOf(page, OPEN).getByRole('button', { name: 'Clear' }).waitFor();
      expect(await rowOf(page, CLOSED).getByRole('button', { name: 'Clear' }).count()).toBe(0);
      expect(await rowOf(page, CLOSED).textContent()).toContain('This service may not delete here (permissions)');
    });
  });
});
