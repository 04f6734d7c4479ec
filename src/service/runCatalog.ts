// The staged runs of the root as the service sees them: every run leaf with
// its ingest.json read (or the reason it cannot be), and file counts. Counts
// of runs that can no longer change (sync_verified, cleared) are cached and
// reused while ingest.json and every directory mtime in the run are as they
// were; a run still receiving data is measured on every call.
import fs from 'node:fs/promises';
import { isCleanupError } from '../domain/errors.ts';
import { mapLimited } from '../lib/mapLimited.ts';
import type { IngestRecord } from '../domain/ingestRecord.ts';
import type { RunLocation } from '../domain/runPath.ts';
import type { SyncRules } from '../domain/syncCheck.ts';
import { readIngest, type IngestFile } from '../storage/ingestStore.ts';
import { listRunLeaves } from '../storage/stagingScan.ts';
import type { TreeMeasure } from '../storage/treeMeasure.ts';
import type { TreeWorkerPool } from '../storage/treeWorkerPool.ts';
import { INGEST_PROBLEM_CODES, type IngestProblemCode } from './answers.ts';

export interface CatalogEntry {
  location: RunLocation;
  record: IngestRecord;
  measure: TreeMeasure | null;
  directoryMtime: Date | null;
}

// The local pre-clear rules of a run, or null when none apply.
export type RulesFor = (location: RunLocation, view: IngestRecord['view']) => SyncRules | null;

export interface CatalogProblem {
  location: RunLocation;
  code: IngestProblemCode;
  message: string;
}

export interface Catalog {
  entries: CatalogEntry[];
  problems: CatalogProblem[];
}

interface CachedMeasure {
  ingestMtimeMs: number;
  ingestSize: number;
  measure: TreeMeasure;
}

type LeafReading =
  | { kind: 'run'; location: RunLocation; ingest: IngestFile }
  | { kind: 'problem'; problem: CatalogProblem }
  | { kind: 'none' };

const READ_CONCURRENCY = 32;

export class RunCatalog {
  private readonly cache = new Map<string, CachedMeasure>();

  constructor(
    private readonly stagingRoot: string,
    private readonly pool: TreeWorkerPool,
    private readonly rulesFor: RulesFor,
  ) {}

  async scan(): Promise<Catalog> {
    const leaves = await listRunLeaves(this.stagingRoot);
    const readings = await mapLimited(leaves, READ_CONCURRENCY, (location) => readLeaf(location));
    const runs = readings.flatMap((reading) => (reading.kind === 'run' ? [reading] : []));
    const measures = await this.measureAll(runs);
    const problems = readings.flatMap((reading) => (reading.kind === 'problem' ? [reading.problem] : []));
    const known = new Set(runs.map((run) => run.location.runPath));
    for (const runPath of this.cache.keys()) if (!known.has(runPath)) this.cache.delete(runPath);
    return {
      entries: runs.map((run, index) => ({
        location: run.location,
        record: run.ingest.record,
        measure: measures[index]?.measure ?? null,
        directoryMtime: measures[index]?.directoryMtime ?? null,
      })),
      problems,
    };
  }

  // One run, as scan() would see it; null when it has no ingest.json yet.
  async one(location: RunLocation): Promise<CatalogEntry | null> {
    const ingest = await readIngest(location.absolutePath);
    if (!ingest) return null;
    const [measured] = await this.measureAll([{ location, ingest }]);
    return {
      location,
      record: ingest.record,
      measure: measured?.measure ?? null,
      directoryMtime: measured?.directoryMtime ?? null,
    };
  }

  // The cached count of files in a run, when known, for progress estimates.
  knownFileCount(runPath: string): number | null {
    return this.cache.get(runPath)?.measure.files ?? null;
  }

  private async measureAll(
    runs: Array<{ location: RunLocation; ingest: IngestFile }>,
  ): Promise<Array<{ measure: TreeMeasure | null; directoryMtime: Date | null }>> {
    const fresh = await mapLimited(runs, READ_CONCURRENCY, (run) => this.cachedMeasure(run));
    const stale = runs.filter((_, index) => fresh[index] === null);
    const requests = stale.map((run) => {
      // Only a run that may be cleared needs to know what would stop it.
      const rules = run.ingest.record.view.current_state === 'sync_verified' ? this.rulesFor(run.location, run.ingest.record.view) : null;
      return { root: run.location.absolutePath, ...(rules ? { rules } : {}) };
    });
    const measured = requests.length ? await this.pool.run('measure', { runs: requests }).result : [];
    stale.forEach((run, index) => {
      const measure = measured[index] ?? null;
      if (measure && isSettled(run.ingest)) {
        this.cache.set(run.location.runPath, {
          ingestMtimeMs: run.ingest.mtimeMs,
          ingestSize: run.ingest.size,
          measure,
        });
      }
    });
    let next = 0;
    return runs.map((_, index) => {
      const measure = fresh[index] ?? measured[next++] ?? null;
      const rootStamp = measure?.directories.find((d) => d.relativePath === '');
      return { measure, directoryMtime: rootStamp ? new Date(rootStamp.mtimeMs) : null };
    });
  }

  private async cachedMeasure(run: { location: RunLocation; ingest: IngestFile }): Promise<TreeMeasure | null> {
    const cached = this.cache.get(run.location.runPath);
    if (!cached || !isSettled(run.ingest)) return null;
    if (cached.ingestMtimeMs !== run.ingest.mtimeMs || cached.ingestSize !== run.ingest.size) return null;
    const root = run.location.absolutePath;
    const unchanged = await Promise.all(
      cached.measure.directories.map(async (stamp) => {
        const path = stamp.relativePath ? `${root}/${stamp.relativePath}` : root;
        const stat = await fs.lstat(path).catch(() => null);
        return stat?.isDirectory() === true && stat.mtimeMs === stamp.mtimeMs;
      }),
    );
    return unchanged.every(Boolean) ? cached.measure : null;
  }
}

function isSettled(ingest: IngestFile): boolean {
  const state = ingest.record.view.current_state;
  return state === 'sync_verified' || state === 'cleared';
}

async function readLeaf(location: RunLocation): Promise<LeafReading> {
  try {
    const ingest = await readIngest(location.absolutePath);
    return ingest ? { kind: 'run', location, ingest } : { kind: 'none' };
  } catch (error) {
    const code = isCleanupError(error) ? INGEST_PROBLEM_CODES.find((known) => known === error.code) : undefined;
    if (!code) throw error;
    return { kind: 'problem', problem: { location, code, message: (error as Error).message } };
  }
}
