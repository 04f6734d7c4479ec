// The staged runs of the root as the service sees them: every run leaf with
// its ingest.json read (or the reason it cannot be), and file counts.
//
// A listing is cheap when little changed: one worker round trip stamps every
// run's ingest.json (and .exlab-wizard), and the folders of every cached run,
// each reached through descriptors from the staging root.
// A record is parsed again only when its ingest.json changed; counts of runs
// that can no longer change (sync_verified, cleared) are kept while
// ingest.json, the manifest they were judged by and every folder of the run
// keep their stamps (a manifest rewritten in place changes no folder). A run
// still receiving data is measured on every listing. (A data file rewritten
// in place, without a folder changing, is not noticed by a cached row; a
// clear always walks the run afresh.)
import { byteString } from '../domain/entryName.ts';
import { isCleanupError, type CleanupError } from '../domain/errors.ts';
import type { IngestRecord } from '../domain/ingestRecord.ts';
import { isClearableOrResumable } from '../domain/lifecycle.ts';
import { DEFAULT_MANIFEST } from '../domain/manifest.ts';
import type { RunLocation } from '../domain/runPath.ts';
import type { SyncRules } from '../domain/syncCheck.ts';
import { mapLimited } from '../lib/mapLimited.ts';
import { sameStamp, type FileStamp, type RunStamps } from '../storage/engine/fileStamp.ts';
import type { IngestFile } from '../storage/ingestStore.ts';
import { GONE, type StagedRun, type StagedRuns } from '../storage/stagedRun.ts';
import { OtherFilesystem } from '../storage/runDirectory.ts';
import type { RunRef } from '../storage/runRef.ts';
import type { FolderProblem } from '../storage/stagingScan.ts';
import type { StagingRootGuard } from '../storage/stagingRootGuard.ts';
import type { TreeMeasure } from '../storage/engine/treeMeasure.ts';
import type { TreeRunner } from '../storage/engine/treeRunner.ts';
import { RUN_PROBLEM_CODES, type RunProblemCode } from './answers.ts';

export interface CatalogEntry {
  location: RunLocation;
  record: IngestRecord;
  measure: TreeMeasure | null;
  directoryMtime: Date | null;
}

// The local pre-clear rules of a run, or null when none apply.
type RulesFor = (runPath: string, view: IngestRecord['view']) => Promise<SyncRules | null>;

export interface CatalogProblem {
  location: RunLocation;
  code: RunProblemCode;
  message: string;
}

export interface Catalog {
  entries: CatalogEntry[];
  problems: CatalogProblem[];
  // Folders above the runs that the walk could not enter.
  folderProblems: FolderProblem[];
}

interface CachedRun {
  ingest: IngestFile;
  // Only for runs that can no longer change.
  measure: TreeMeasure | null;
  // The manifest the measure judged by, stamped before it was taken; null
  // when no manifest rules applied.
  manifest: { path: string; stamp: FileStamp | null } | null;
}

type LeafReading =
  | { kind: 'run'; location: RunLocation; ingest: IngestFile; measure: TreeMeasure | null }
  | { kind: 'problem'; problem: CatalogProblem; error: CleanupError }
  | { kind: 'folder'; problem: FolderProblem; error: CleanupError }
  | { kind: 'none' };
export type LeafOutcome = Exclude<LeafReading, { kind: 'run' }> | { kind: 'run'; entry: CatalogEntry };
type RunReading = Extract<LeafReading, { kind: 'run' }>;

const READ_CONCURRENCY = 32;
const USUAL_MANIFEST = byteString(DEFAULT_MANIFEST);

export class RunCatalog {
  private readonly cache = new Map<string, CachedRun>();

  constructor(
    private readonly root: StagingRootGuard,
    private readonly runner: TreeRunner,
    private readonly runs: StagedRuns,
    private readonly rulesFor: RulesFor,
  ) {}

  // What each leaf holds now: a run, a problem of the run or of its folder,
  // or nothing (no ingest.json yet). `look` is asked of each run this
  // reading opens, before its record is read (one opening serves both); its
  // answer is `looked`, absent for a run not opened (its record unchanged).
  async readRuns<T>(
    leaves: readonly RunLocation[],
    look?: (run: StagedRun) => Promise<T>,
  ): Promise<Array<{ outcome: LeafOutcome; looked?: T }>> {
    const looked = new Map<number, T>();
    const readings = await this.read(leaves, look && ((index, run) => look(run).then((answer) => void looked.set(index, answer))));
    return readings.map((reading, index) => ({
      outcome: reading.kind === 'run' ? { kind: 'run', entry: entryOf(reading) } : reading,
      ...(looked.has(index) ? { looked: looked.get(index) as T } : {}),
    }));
  }

  // A run no longer in the tree.
  forget(runPath: string): void {
    this.cache.delete(runPath);
  }

  // One run, as readRuns() would see it; null when it has no ingest.json yet.
  async one(location: RunLocation): Promise<CatalogEntry | null> {
    const [reading] = await this.read([location]);
    if (reading?.kind === 'problem' || reading?.kind === 'folder') throw reading.error;
    return reading?.kind === 'run' ? entryOf(reading) : null;
  }

  // The cached count of files in a run, when known, for progress estimates.
  knownFileCount(runPath: string): number | null {
    return this.cache.get(runPath)?.measure?.files ?? null;
  }

  private async read(leaves: readonly RunLocation[], look?: (index: number, run: StagedRun) => Promise<void>): Promise<LeafReading[]> {
    // The manifest a run's measure judges by, when known; else the usual one.
    const manifests = leaves.map((location) => this.cache.get(location.runPath)?.manifest?.path ?? USUAL_MANIFEST);
    const stamps = await this.stampsOf(leaves, manifests);
    const readings = await mapLimited(leaves, READ_CONCURRENCY, async (location, index): Promise<LeafReading> => {
      const cached = this.cache.get(location.runPath);
      const stamp = stamps[index] ?? null;
      const unchanged = cached && stamp?.meta?.kind === 'directory' && sameStamp(stamp.ingest, cached.ingest.stamp);
      const reading: LeafReading = unchanged
        ? { kind: 'run', location, ingest: cached.ingest, measure: null }
        : await this.readLeaf(location, look && ((run) => look(index, run)));
      if (
        reading.kind === 'run' &&
        unchanged &&
        cached.measure &&
        foldersUnchanged(cached.measure, stamp.folders) &&
        (cached.manifest === null || sameOrBothAbsent(cached.manifest.stamp, stamp.manifest))
      ) {
        reading.measure = cached.measure;
      }
      return reading;
    });
    await this.measureMissing(readings);
    await Promise.all(
      readings.map((reading, index) =>
        reading.kind === 'run' ? this.remember(reading, manifests[index], stamps[index]?.manifest ?? null) : undefined,
      ),
    );
    return readings;
  }

  // The stamps that tell what changed, all in one worker round trip.
  private stampsOf(leaves: readonly RunLocation[], manifests: readonly string[]): Promise<Array<RunStamps | null>> {
    return this.runner.stamps(
      leaves.map((location, index) => ({
        run: this.refOf(location),
        folders: (this.cache.get(location.runPath)?.measure?.directories ?? []).map((folder) => folder.relativePath),
        manifest: manifests[index],
      })),
    );
  }

  // Keeps a settled run's measure, with the stamp of the manifest it judged
  // by; not when another file than the one stamped was the manifest (the
  // next listing stamps that one and measures again).
  private async remember(reading: RunReading, stampedPath: string | undefined, stamped: FileStamp | null): Promise<void> {
    const rules = await this.rulesOf(reading);
    const manifest = rules ? { path: rules.manifestPath, stamp: stamped } : null;
    const kept = isSettled(reading.ingest) && (!manifest || manifest.path === stampedPath);
    this.cache.set(reading.location.runPath, { ingest: reading.ingest, measure: kept ? reading.measure : null, manifest });
  }

  private refOf(location: RunLocation): RunRef {
    return { stagingRoot: this.root.path, rootPin: this.root.pin(), bytePath: location.segments.join('/') };
  }

  private async readLeaf(location: RunLocation, look?: (run: StagedRun) => Promise<void>): Promise<LeafReading> {
    try {
      const ingest = await this.runs.opened(location, async (run) => {
        await look?.(run);
        return run.readIngest();
      });
      return ingest === GONE || !ingest ? { kind: 'none' } : { kind: 'run', location, ingest, measure: null };
    } catch (error) {
      // Swapped for a link or a file since it was listed: no longer a run.
      if (isCleanupError(error) && error.code === 'invalid_run_path') return { kind: 'none' };
      // The run folder itself is a mount point (the walk above it refuses the others).
      if (error instanceof OtherFilesystem) {
        return { kind: 'folder', problem: { segments: error.segments, code: 'folder_other_filesystem' }, error };
      }
      const code = isCleanupError(error) ? RUN_PROBLEM_CODES.find((known) => known === error.code) : undefined;
      if (!code) throw error;
      return { kind: 'problem', problem: { location, code, message: (error as Error).message }, error: error as CleanupError };
    }
  }

  // Only a run that may be cleared needs to know what would stop it.
  private rulesOf({ location, ingest }: RunReading): Promise<SyncRules | null> {
    return isSettled(ingest) ? this.rulesFor(location.runPath, ingest.record.view) : Promise.resolve(null);
  }

  private async measureMissing(readings: LeafReading[]): Promise<void> {
    const missing = readings.filter(
      (reading): reading is RunReading => reading.kind === 'run' && reading.measure === null,
    );
    const requests = await Promise.all(
      missing.map(async (run) => {
        const rules = await this.rulesOf(run);
        return { run: this.refOf(run.location), ...(rules ? { rules } : {}) };
      }),
    );
    const measured = requests.length ? await this.runner.measureRuns(requests) : [];
    missing.forEach((run, index) => {
      run.measure = measured[index] ?? null;
    });
  }
}

function foldersUnchanged(measure: TreeMeasure, folders: ReadonlyArray<FileStamp | null>): boolean {
  return (
    folders.length === measure.directories.length &&
    measure.directories.every((folder, index) => {
      const now = folders[index];
      return (
        now?.kind === 'directory' && now.mtimeMs === folder.mtimeMs && now.ctimeMs === folder.ctimeMs && now.ino === folder.ino
      );
    })
  );
}

function sameOrBothAbsent(a: FileStamp | null, b: FileStamp | null): boolean {
  return (a === null && b === null) || sameStamp(a, b);
}

function entryOf(reading: RunReading): CatalogEntry {
  const rootStamp = reading.measure?.directories.find((directory) => directory.relativePath === '');
  return {
    location: reading.location,
    record: reading.ingest.record,
    measure: reading.measure,
    directoryMtime: rootStamp ? new Date(rootStamp.mtimeMs) : null,
  };
}

// Counts of a run that can no longer receive data may be cached.
function isSettled(ingest: IngestFile): boolean {
  return isClearableOrResumable(ingest.record.view.current_state);
}
