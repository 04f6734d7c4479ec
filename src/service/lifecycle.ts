// The service's life: work in flight (so that a stop lets running clears
// finish), warming the tree workers, health, reclaiming this host's dead
// locks at start, and close.
import { reclaimDeadLocks } from '../storage/lockRecovery.ts';
import { CleanupError } from '../domain/errors.ts';
import { runsAs } from '../lib/runsAs.ts';
import type { Journal } from '../storage/journal.ts';
import type { RunLocks } from '../storage/runLock.ts';
import type { StagingRootGuard } from '../storage/stagingRootGuard.ts';
import type { TreeWorkerPool } from '../storage/engine/treeWorkerPool.ts';
import type { VolumeCheck } from './capacity.ts';
import type { HealthQuery } from './healthCache.ts';
import type { RunPermissionsCheck } from './runPermissions.ts';
import type { IndexStatus, StagingIndex } from './stagingIndex.ts';

interface HealthCheck {
  ok: boolean;
  message: string;
}

// Health as the program answers it: its latest report, or a check now.
export type HealthSource = (query?: HealthQuery) => Promise<HealthReport>;

export interface HealthReport {
  ready: boolean;
  // staging_volume and run_permissions do not count towards ready: a full
  // volume is what the service is there to relieve, and runs it may change
  // still clear beside those it may not.
  checks: {
    staging_root: HealthCheck;
    staging_root_writable: HealthCheck;
    journal: HealthCheck;
    staging_volume: VolumeCheck;
    run_permissions: RunPermissionsCheck;
  };
  // Who the service runs as: what file permissions must allow.
  runs_as: { uid: number; gid: number };
  // Folders above the runs the listing cannot enter (its folder problems);
  // null when the staging root itself cannot be read, or is being read for the first time.
  folder_problems: number | null;
  // How the index of the staging tree is kept: by notifications, or read on each answer, and why.
  index: IndexStatus;
}

const checkOf = (problem: string | null, fine: string): HealthCheck => ({ ok: problem === null, message: problem ?? fine });

interface LifecycleDeps {
  stagingRoot: string;
  journal: Journal;
  locks: RunLocks;
  rootGuard: StagingRootGuard;
  pool: TreeWorkerPool;
  parallelism: number;
  volumeCheck: () => Promise<VolumeCheck>;
  runPermissionsCheck: () => Promise<RunPermissionsCheck>;
  index: Pick<StagingIndex, 'current' | 'status' | 'built'>;
}

export type Lifecycle = ReturnType<typeof createLifecycle>;

export function createLifecycle(deps: LifecycleDeps) {
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;
  let reclaimed: Promise<number> | null = null;

  return {
    // Runs `work` unless the service is stopping, and keeps it until it ends.
    track<T>(work: () => Promise<T>): Promise<T> {
      if (closing) return Promise.reject(new CleanupError('shutting_down'));
      const promise = work();
      inFlight.add(promise);
      void promise.then(
        () => inFlight.delete(promise),
        () => inFlight.delete(promise),
      );
      return promise;
    },

    async health(): Promise<HealthReport> {
      const { uid, gid } = runsAs();
      const rootProblem = await deps.rootGuard.problem();
      const checks = {
        staging_root: checkOf(rootProblem, `${deps.stagingRoot} is readable`),
        staging_root_writable: checkOf(
          rootProblem ?? (await deps.rootGuard.writeProblem()),
          `uid ${uid} can create and remove entries in ${deps.stagingRoot}`,
        ),
        // Writable, and every journal file in the folder readable.
        journal: await deps.journal
          .openWriter()
          .then(async (writer) => {
            await writer.close();
            await deps.journal.update();
            return checkOf(null, `${deps.journal.file} is writable`);
          })
          .catch((error: Error) => checkOf(error.message, '')),
      };
      const staging_volume = await deps
        .volumeCheck()
        .catch((error: Error) => ({ ok: false, message: `the staging volume cannot be measured: ${error.message}` }));
      const run_permissions =
        rootProblem === null
          ? await deps
              .runPermissionsCheck()
              .catch((error: Error) => ({ ok: false, runs: 0, message: `the staged runs cannot be listed: ${error.message}` }))
          : { ok: false, runs: 0, message: 'the staged runs cannot be listed: the staging root is unavailable' };
      const folderProblems =
        rootProblem === null && deps.index.built()
          ? await deps.index.current().then((tree) => tree.problemsAboveRuns, () => null)
          : null;
      return {
        ready: Object.values(checks).every((check) => check.ok),
        checks: { ...checks, staging_volume, run_permissions },
        runs_as: { uid, gid },
        folder_problems: folderProblems,
        index: deps.index.status(),
      };
    },

    // At start: removes the run locks this host's earlier processes left
    // behind, so that their interrupted clears resume without waiting. Once:
    // main.ts asks before it listens, the first sweep before it clears.
    reclaimDeadLocks: (): Promise<number> => (reclaimed ??= reclaimDeadLocks(deps.stagingRoot, deps.locks)),

    // Starts the tree workers and indexes the journal ahead of the first
    // request that needs them (a journal that cannot be read is health's to say).
    warm: async (): Promise<void> => {
      await Promise.all([deps.pool.warm(deps.parallelism), deps.journal.update().catch(() => undefined)]);
    },

    // Reads the staging tree into the index once, in the background, as
    // the service starts listening: the first listing then waits only for
    // what is left (and health says "not known yet" meanwhile).
    readTreeInBackground(): void {
      void deps.index.current().catch(() => undefined);
    },

    // Stops taking clears and lets running ones finish for up to `graceMs`;
    // a clear cut short stays resumable.
    async close(graceMs = 10_000): Promise<void> {
      closing = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
