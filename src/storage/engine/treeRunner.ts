// The tree engine's front (see README.md in this folder): runs the tree work
// of one run, or of many, on the worker pool, split into
// shares that the workers walk at the same time (one per core by default):
// surveys split by top-level folder, deletions by directory, listings by run.
import fs from 'node:fs/promises';
import os from 'node:os';
import type { SyncRules } from '../../domain/syncCheck.ts';
import { sumOf } from '../../lib/sumOf.ts';
import type { RunStampRequest } from './fileStamp.ts';
import type { NasCheckArgs } from './nasCopyCheck.ts';
import { META_DIR } from '../runLayout.ts';
import { combineOutcomes, type DeleteOutcome, type DeleteProgress } from './deleteTally.ts';
import type { RunFolder } from './shellRemoval.ts';
import { surveyedContents, type ContentsOutcome } from './treeDelete.ts';
import { mergeMeasures, type DirectoryStamp, type TreeMeasure } from './treeMeasure.ts';
import type { MeasureRequest } from './treeTasks.ts';
import { createStopFlag, type TreeWorkerPool } from './treeWorkerPool.ts';

interface RemovalHandle {
  result: Promise<DeleteOutcome>;
  stop: () => void;
}

export type TreeRunner = ReturnType<typeof createTreeRunner>;

export function defaultParallelism(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

export function createTreeRunner(pool: TreeWorkerPool, parallelism = defaultParallelism()) {
  return {
    // Counts, directory stamps and (with rules) the unsynced files of the
    // run whose descriptor the caller holds. Rejects when any share fails.
    async survey(runFd: number, rules?: SyncRules): Promise<TreeMeasure> {
      const shares = await topLevelShares(runFd, parallelism);
      const stopFlag = createStopFlag();
      const parts = await allSettledOrStop(
        stopFlag,
        shares.map((share, index) => {
          const options = {
            ...(rules ? { rules } : {}),
            ...(share ? { topLevel: share.names, share: share.part, recordRoot: index === 0 } : {}),
          };
          return pool.run('measure', { runs: [{ run: { fd: runFd }, ...options }] }, undefined, stopFlag).result.then(([measure]) => {
            if (!measure) throw new Error('the run could not be opened');
            return measure;
          });
        }),
      );
      return mergeMeasures(parts);
    },

    // Many runs, each whole, spread over the workers; order kept.
    async measureRuns(requests: MeasureRequest[]): Promise<Array<TreeMeasure | null>> {
      const shares = roundRobin(requests.map((request, index) => ({ request, index })), parallelism);
      const results = new Array<TreeMeasure | null>(requests.length).fill(null);
      await Promise.all(
        shares.map(async (share) => {
          if (share.length === 0) return;
          const measures = await pool.run('measure', { runs: share.map((item) => item.request) }).result;
          share.forEach((item, position) => {
            results[item.index] = measures[position] ?? null;
          });
        }),
      );
      return results;
    },

    // Deletes a surveyed run; progress is the sum over the shares.
    remove(at: RunFolder, survey: TreeMeasure, rules: SyncRules | undefined, onProgress: (p: DeleteProgress) => void): RemovalHandle {
      const stopFlag = createStopFlag();
      const surveyed = survey.directories.map((directory) => directory.relativePath);
      const progress = new Array<DeleteProgress>(parallelism).fill({ files: 0, bytes: 0 });
      const report = (): void =>
        onProgress({ files: sumOf(progress, (part) => part.files), bytes: sumOf(progress, (part) => part.bytes) });
      const result = (async (): Promise<DeleteOutcome> => {
        const shares = balancedShares(survey.directories, parallelism);
        const contents: ContentsOutcome[] = await allSettledOrStop(
          stopFlag,
          shares.map(
            (directories, index) =>
              pool.run(
                'deleteContents',
                surveyedContents(at.runFd, survey, rules, directories),
                (part) => {
                  progress[index] = part;
                  report();
                },
                stopFlag,
              ).result,
          ),
        );
        const removed = combineOutcomes(contents);
        if (removed.stopped) return removed;
        const shell = await pool.run('removeShell', {
          at,
          directories: surveyed,
          directoriesWithLeft: contents.flatMap((part) => part.directoriesWithLeft),
          ...(rules ? { manifestPath: rules.manifestPath } : {}),
        }).result;
        const outcome = combineOutcomes([removed, shell]);
        onProgress({ files: outcome.files, bytes: outcome.bytes });
        return outcome;
      })();
      return { result, stop: () => Atomics.store(stopFlag, 0, 1) };
    },

    nasCheck: (args: NasCheckArgs) => pool.run('nasCheck', args).result,

    // What tells whether runs changed, in one worker round trip.
    stamps: (runs: RunStampRequest[]) => (runs.length ? pool.run('stamps', { runs }).result : Promise.resolve([])),
  };
}

// Every share's result once all have ended: the descriptor they share is the
// caller's, who closes it (and the kernel may hand its number to another
// file) only after this settles. The first failure stops the other shares.
async function allSettledOrStop<T>(stopFlag: Int32Array, shares: Array<Promise<T>>): Promise<T[]> {
  const stopOnFailure = (error: unknown): never => {
    Atomics.store(stopFlag, 0, 1);
    throw error;
  };
  const settled = await Promise.allSettled(shares.map((share) => share.catch(stopOnFailure)));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

// The run's top-level names in shares: folders spread over the shares, and
// the top-level files and .exlab-wizard with the first, each with the part
// of the folders it holds. Null: walk it whole.
async function topLevelShares(runFd: number, parallelism: number): Promise<Array<{ names: string[]; part: number } | null>> {
  if (parallelism < 2) return [null];
  const entries = await fs
    .readdir(`/proc/self/fd/${runFd}`, { encoding: 'buffer', withFileTypes: true })
    .then((dirents) => dirents.map((dirent) => ({ name: dirent.name.toString('latin1'), isDirectory: dirent.isDirectory() })))
    .catch(() => []);
  const folders = entries.filter((entry) => entry.isDirectory && entry.name !== META_DIR).map((entry) => entry.name);
  if (folders.length < 2) return [null];
  const shares = roundRobin(folders, parallelism).map((names) => ({ names, part: names.length / folders.length }));
  const names = new Set(folders);
  const rest = entries.filter((entry) => !names.has(entry.name)).map((entry) => entry.name);
  shares[0]?.names.push(...rest);
  return shares.filter((share, index) => index === 0 || share.names.length > 0);
}

// Directories spread so that each share holds about as many files.
function balancedShares(directories: readonly DirectoryStamp[], parallelism: number): DirectoryStamp[][] {
  const shares = Array.from({ length: parallelism }, () => ({ files: 0, directories: [] as DirectoryStamp[] }));
  for (const directory of [...directories].sort((a, b) => b.files - a.files)) {
    const lightest = shares.reduce((best, share) => (share.files < best.files ? share : best));
    lightest.directories.push(directory);
    lightest.files += directory.files + 1;
  }
  return shares.map((share) => share.directories).filter((share, index) => index === 0 || share.length > 0);
}

function roundRobin<T>(items: readonly T[], parallelism: number): T[][] {
  const shares = Array.from({ length: Math.max(1, parallelism) }, () => [] as T[]);
  items.forEach((item, index) => shares[index % shares.length]?.push(item));
  return shares;
}
