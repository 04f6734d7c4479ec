// Health's run_permissions check: how many staged runs this process could
// not clear because it may not change their folders, and why. A run written
// with a umask that left its folder closed to the service's group is the
// usual cause: every such run would be refused, and the pressure sweep could
// not make room with it. It does not make the service not ready: other runs
// still clear.
import { runsAs } from '../lib/runsAs.ts';
import type { DecidedRuns } from './runQueries.ts';

export interface RunPermissionsCheck {
  ok: boolean;
  message: string;
  // Staged runs a clear would refuse with staging_permission_denied.
  runs: number;
}

// Before the first reading of the tree is done (at start, thousands of runs).
export const RUN_PERMISSIONS_NOT_YET: RunPermissionsCheck = {
  ok: true,
  runs: 0,
  message: 'not known yet: the service is reading the staging tree for the first time',
};

export async function runPermissionsCheck(listing: Promise<DecidedRuns>): Promise<RunPermissionsCheck> {
  const { uid, gid } = runsAs();
  const denied = (await listing).runs.filter(({ decision }) => decision.reason === 'staging_permission_denied');
  const [first] = denied;
  if (!first) {
    return { ok: true, runs: 0, message: `uid ${uid} may change the folders of every staged run a clear would remove` };
  }
  return {
    ok: false,
    runs: denied.length,
    message:
      `${denied.length} staged ${denied.length === 1 ? 'run' : 'runs'} cannot be cleared: this service (uid ${uid}, gid ${gid}) ` +
      `may not change ${denied.length === 1 ? 'its folder or the folder holding it' : 'their folders or the folders holding them'}; ` +
      `first ${first.row.run_path}: ${first.decision.message}`,
  };
}
