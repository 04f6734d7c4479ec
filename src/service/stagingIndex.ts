// The one live index of the staging tree (README "Speed, and how fresh a row
// is"): the folders above the runs, each run's reading (its record, counts
// and folder stamps, or its problem) and whether this process may remove it.
// Every reader (the listing, health, capacity, metrics, the sweeps) asks it.
//
// It is kept fresh by the kernel's change notifications (inotify, through
// the addon: Node's fs.watch drops the queue's overflow without a word) on
// every folder above the runs and every folder of each run, drained before
// each answer: a change made before a request is seen by it, and a tree in
// which nothing changed costs no directory read. A change to a folder above
// the runs walks those folders again (cheap: no run is entered); a change in
// a run reads that run again. Where notifications cannot serve (no inotify,
// a network filesystem whose other clients' changes it never sees, a queue
// that overflowed, the watch limit reached), the part they cannot cover is
// read again on every answer, as a full walk would, and status() says why.
import { readFileSync } from 'node:fs';
import { isCleanupError, type CleanupError } from '../domain/errors.ts';
import { isClearableOrResumable } from '../domain/lifecycle.ts';
import type { RunLocation } from '../domain/runPath.ts';
import { filesystemTypeOf, notificationsMissOn } from '../domain/mountTable.ts';
import { coalesced } from '../lib/coalesced.ts';
import { mapLimited } from '../lib/mapLimited.ts';
import { GONE, type StagedRun, type StagedRuns, type WatchedFolder } from '../storage/stagedRun.ts';
import type { DirectoryStamp } from '../storage/engine/treeMeasure.ts';
import type { StagingRootGuard } from '../storage/stagingRootGuard.ts';
import { scanStagingTree, type FolderProblem } from '../storage/stagingScan.ts';
import { TreeNotifications } from '../storage/treeNotifications.ts';
import type { CatalogEntry, CatalogProblem, LeafOutcome, RunCatalog } from './runCatalog.ts';

const META_FOLDER = '.exlab-wizard';
// Runs opened at once to ask what changes them.
const LOOK_CONCURRENCY = 32;
// Runs read as one batch (see readRuns).
const READ_BATCH = 500;
// A run's folders watched when it is opened to be read: itself and its record's.
const WATCHED_FIRST: readonly string[] = ['', META_FOLDER];

export interface IndexedTree {
  entries: Array<{ entry: CatalogEntry; writeRefusal: CleanupError | null }>;
  problems: CatalogProblem[];
  // Folders the walk could not enter: those above the runs, then run
  // folders that are another filesystem.
  folderProblems: FolderProblem[];
  // How many of them are above the runs (what health counts).
  problemsAboveRuns: number;
}

export interface IndexStatus {
  // live: notifications cover the whole tree; partly: some runs (or the
  // folders above them) are read again on each answer; scanning: all are.
  mode: 'live' | 'partly' | 'scanning';
  message: string;
  watched_folders: number;
  runs_read_each_time: number;
  // Times the kernel's queue overflowed (each: the whole tree read again).
  overflows: number;
}

export interface StagingIndexOptions {
  // Folders watched at most (max_user_watches is shared by every process of
  // the user): beyond, runs are read again on each answer.
  maxWatches: number;
  // false: no notifications at all (every answer walks the tree).
  notifications: boolean;
}

interface Looked {
  writeRefusal: CleanupError | null;
  watches: Set<number> | null;
}

interface IndexedRun {
  location: RunLocation;
  outcome: LeafOutcome;
  writeRefusal: CleanupError | null;
  // Its folders' watches; null while not all of them are watched.
  watches: Set<number> | null;
}

// Which entries a watch stands for: a folder above the runs, or a run's.
type WatchOwner = { above: string } | { run: string };

export type StagingIndex = ReturnType<typeof createStagingIndex>;

export function createStagingIndex(
  deps: { root: StagingRootGuard; catalog: RunCatalog; runs: StagedRuns },
  options: StagingIndexOptions,
) {
  const { root, catalog, runs } = deps;
  let notifications: TreeNotifications | null = null;
  // Why notifications serve nothing, when they do not.
  let unavailable: string | null = options.notifications ? null : 'index.notifications is off';
  const owners = new Map<number, WatchOwner>();
  const indexed = new Map<string, IndexedRun>();
  const keysByRunPath = new Map<string, string>();
  let leaves: Array<{ location: RunLocation; key: string }> = [];
  // The tree as last answered, kept while nothing in it changed.
  let answered: IndexedTree | null = null;
  let folderProblems: FolderProblem[] = [];
  // The folders above the runs must be walked again (all of them: cheap).
  let aboveStale = true;
  // Some folder above the runs could not be watched: walked on each answer.
  let aboveUnwatched = false;
  // Runs to read again, by key (their byte path below the root).
  const stale = new Set<string>();
  // Prefixes (folders) below which every run is to be read again.
  const staleBelow = new Set<string>();
  let mounts = '';
  let overflows = 0;
  let limitReached = false;
  // Once the whole tree has been read: from then on an update costs what changed.
  let built = false;

  const keyOf = (segments: readonly string[]): string => segments.join('/');

  // Notifications, unless the root's filesystem is one whose changes they miss.
  const start = async (): Promise<void> => {
    if (notifications || unavailable) return;
    const folder = await root.open();
    let type: string | null;
    try {
      type = filesystemTypeOf(readFileSync('/proc/self/mountinfo', 'latin1'), folder.mountId());
    } finally {
      await folder.closeAsync();
    }
    if (type !== null && notificationsMissOn(type)) {
      unavailable = `the staging root is on ${type}, whose changes made by other machines send no notification`;
      return;
    }
    const opened = TreeNotifications.open();
    if ('unavailable' in opened) unavailable = opened.unavailable;
    else notifications = opened;
  };

  const watchCount = (): number => owners.size;

  const watch = (wd: number | 'limit', owner: WatchOwner): boolean => {
    if (wd === 'limit') {
      limitReached = true;
      return false;
    }
    owners.set(wd, owner);
    return true;
  };

  // Applies the notifications queued since the last answer.
  const drain = (): void => {
    if (!notifications) return;
    const { notifications: queued, overflowed } = notifications.drain();
    if (overflowed) {
      overflows += 1;
      everythingStale();
      // Any file may have been written to: no run's counts are kept.
      for (const run of indexed.values()) catalog.forget(run.location.runPath);
    }
    for (const { wd, self, ended } of queued) {
      const owner = owners.get(wd);
      if (!owner) continue;
      if (ended) owners.delete(wd);
      if ('run' in owner) {
        stale.add(owner.run);
        const run = indexed.get(owner.run);
        // Its counts are measured again, not kept by stamps (a file appended
        // to changes no folder's): by the next reading, or by one run's answer.
        if (run) catalog.forget(run.location.runPath);
        if (ended && run) run.watches = null;
      } else {
        // An entry made, removed or renamed in a folder above the runs (a run
        // among them): walked again. The folder itself changed (its
        // permissions, which a run's removal needs): every run below too.
        aboveStale = true;
        if (self) staleBelow.add(owner.above);
      }
    }
  };

  const everythingStale = (): void => {
    aboveStale = true;
    staleBelow.add('');
  };

  // A mount made or removed anywhere (over a project folder, say) sends no
  // notification: the mount table is compared on each answer instead.
  const checkMounts = (): void => {
    const now = readFileSync('/proc/self/mountinfo', 'latin1');
    if (now !== mounts) {
      if (mounts !== '') everythingStale();
      mounts = now;
    }
  };

  const walkAbove = async (): Promise<void> => {
    const watching = notifications;
    let unwatched = false;
    const tree = await scanStagingTree(root, (segments, folder) => {
      if (!watching || watchCount() >= options.maxWatches) {
        unwatched = true;
        return;
      }
      if (!watch(watching.watch(folder), { above: keyOf(segments) })) unwatched = true;
    });
    aboveUnwatched = unwatched;
    aboveStale = false;
    folderProblems = tree.problems;
    leaves = tree.leaves.map((location) => ({ location, key: keyOf(location.segments) }));
    answered = null;
    const present = new Set<string>();
    for (const { location, key } of leaves) {
      present.add(key);
      keysByRunPath.set(location.runPath, key);
      if (!indexed.has(key)) stale.add(key);
    }
    for (const [key, run] of indexed) {
      if (present.has(key)) continue;
      indexed.delete(key);
      keysByRunPath.delete(run.location.runPath);
      catalog.forget(run.location.runPath);
      unwatchAll(run.watches);
    }
    for (const key of stale) if (!present.has(key)) stale.delete(key);
  };

  const unwatchAll = (watches: Set<number> | null): void => {
    for (const wd of watches ?? []) {
      owners.delete(wd);
      notifications?.unwatch(wd);
    }
  };

  // Whether `key` lies at or below one of the stale prefixes.
  const isBelowStale = (key: string): boolean => {
    if (staleBelow.size === 0) return false;
    if (staleBelow.has('')) return true;
    for (let end = key.length; end > 0; end = key.lastIndexOf('/', end - 1)) {
      if (staleBelow.has(key.slice(0, end))) return true;
    }
    return false;
  };

  const runsToRead = (): RunLocation[] =>
    leaves
      .filter(({ key }) => {
        const run = indexed.get(key);
        return !run || run.watches === null || stale.has(key) || isBelowStale(key);
      })
      .map(({ location }) => location);

  // Reads the runs again. Each run opened to read its record is watched in
  // that same opening, before the record is read, with the folders it is
  // known to have; a folder found by the measure and not yet watched is
  // watched in a second opening, after it, and a folder whose stamp moved in
  // between is read again next time.
  const readRuns = async (locations: readonly RunLocation[]): Promise<void> => {
    for (const location of locations) stale.delete(keyOf(location.segments));
    // In batches, two at a time: one batch's records are read on this thread
    // while the other's folders are measured by the tree workers.
    const batches: RunLocation[][] = [];
    for (let at = 0; at < locations.length; at += READ_BATCH) batches.push(locations.slice(at, at + READ_BATCH));
    const read = (await mapLimited(batches, 2, (batch) => catalog.readRuns(batch, (run) => look(run, null)))).flat();
    await mapLimited(locations, LOOK_CONCURRENCY, async (location, index) => {
      const { outcome, looked: first } = read[index] ?? { outcome: { kind: 'none' as const } };
      const key = keyOf(location.segments);
      const looked =
        first && watchesAll(first.watches, outcome)
          ? first
          : await runs
              .opened(location, (run) => look(run, outcome))
              // Changed under the reading (swapped for a link, on another
              // filesystem): its reading says so, and it is read again next time.
              .catch((error: unknown) => (isCleanupError(error) ? GONE : Promise.reject(error)));
      const previous = indexed.get(key);
      const watches = looked === GONE ? null : looked.watches;
      if (previous?.watches && previous.watches !== watches) for (const wd of previous.watches) if (!watches?.has(wd)) owners.delete(wd);
      indexed.set(key, {
        location,
        outcome,
        writeRefusal: looked !== GONE && outcome.kind === 'run' && clearable(outcome.entry) ? looked.writeRefusal : null,
        watches,
      });
    });
  };

  const clearable = (entry: CatalogEntry): boolean => isClearableOrResumable(entry.record.view.current_state);

  // Why the opened run could not be removed, and its folders' watches: those
  // `outcome` measured (stamps compared), or before it is read only the run
  // and its .exlab-wizard folder.
  const look = async (run: StagedRun, outcome: LeafOutcome | null): Promise<Looked> => {
    const measured = outcome?.kind === 'run' ? (outcome.entry.measure?.directories ?? []) : [];
    return {
      writeRefusal: await run.writeRefusal(),
      watches: watchRun(run.location, measured, (paths) => run.watchFolders(notifications as TreeNotifications, paths)),
    };
  };

  // Whether the watches cover every folder the reading measured.
  const watchesAll = (watches: Set<number> | null, outcome: LeafOutcome): boolean =>
    watches !== null && (outcome.kind !== 'run' || (outcome.entry.measure?.directories ?? []).every(({ relativePath }) => WATCHED_FIRST.includes(relativePath)));

  // The watches of a run's folders, or null when they cannot all be watched
  // (or one changed since it was measured).
  const watchRun = (
    location: RunLocation,
    measured: readonly DirectoryStamp[],
    watchFolders: (paths: string[]) => Array<WatchedFolder | null | 'limit'>,
  ): Set<number> | null => {
    if (!notifications) return null;
    const key = keyOf(location.segments);
    const paths = [...new Set([...WATCHED_FIRST, ...measured.map((folder) => folder.relativePath)])];
    if (watchCount() + paths.length > options.maxWatches) {
      limitReached = true;
      return null;
    }
    const watches = new Set<number>();
    let whole = true;
    watchFolders(paths).forEach((folder, index) => {
      if (folder === null) return;
      if (!watch(folder === 'limit' ? folder : folder.wd, { run: key }) || folder === 'limit') {
        whole = false;
        return;
      }
      watches.add(folder.wd);
      const judged = measured.find((stamp) => stamp.relativePath === paths[index]);
      if (judged && (judged.ino !== folder.ino || judged.mtimeMs !== folder.mtimeMs || judged.ctimeMs !== folder.ctimeMs)) whole = false;
    });
    return whole ? watches : null;
  };

  const update = async (): Promise<IndexedTree> => {
    await start();
    await root.ensureAvailable();
    checkMounts();
    drain();
    if (aboveStale || aboveUnwatched || !notifications) await walkAbove();
    const toRead = notifications ? runsToRead() : leaves.map(({ location }) => location);
    staleBelow.clear();
    if (toRead.length > 0) {
      answered = null;
      await readRuns(toRead);
    }
    built = true;
    answered ??= tree();
    return answered;
  };

  const tree = (): IndexedTree => {
    const entries: IndexedTree['entries'] = [];
    const problems: CatalogProblem[] = [];
    const belowRuns: FolderProblem[] = [];
    for (const { key } of leaves) {
      const run = indexed.get(key);
      if (!run) continue;
      const { outcome } = run;
      if (outcome.kind === 'run') entries.push({ entry: outcome.entry, writeRefusal: run.writeRefusal });
      else if (outcome.kind === 'problem') problems.push(outcome.problem);
      else if (outcome.kind === 'folder') belowRuns.push(outcome.problem);
    }
    return { entries, problems, folderProblems: [...folderProblems, ...belowRuns], problemsAboveRuns: folderProblems.length };
  };

  return {
    // The tree as it is now: every answer asked for at once shares one
    // update begun after it asked. The same object while nothing changed.
    current: coalesced(update),

    // Reads the run again at the next answer: a clear looked at it (a
    // refusal may have met what no notification tells, such as chattr +i).
    reread(runPath: string): void {
      const key = keysByRunPath.get(runPath);
      if (key !== undefined) stale.add(key);
    },

    // Applies the changes notified since the last answer, for an answer
    // about one run that does not wait for the whole tree.
    noticeChanges: drain,

    // Whether the tree has been read whole once (health, which must answer
    // at once, waits for no first reading of thousands of runs).
    built: (): boolean => built,

    status(): IndexStatus {
      const readEachTime = notifications ? [...indexed.values()].filter((run) => run.watches === null).length : indexed.size;
      const base = { watched_folders: watchCount(), runs_read_each_time: readEachTime, overflows };
      if (!notifications) {
        return { mode: 'scanning', message: `every answer walks the staging tree: ${unavailable ?? 'not started yet'}`, ...base };
      }
      if (aboveUnwatched || readEachTime > 0) {
        const why = limitReached ? `the watch limit (index.max_watches ${options.maxWatches}, or the kernel's max_user_watches) is reached` : 'some folders could not be watched';
        return { mode: 'partly', message: `${readEachTime} runs${aboveUnwatched ? ' and the folders above them' : ''} are read again on every answer: ${why}`, ...base };
      }
      return { mode: 'live', message: `kept by change notifications on ${watchCount()} folders`, ...base };
    },

    close(): void {
      notifications?.close();
      notifications = null;
    },
  };
}
