// The optional NAS check (README "Checks before a clear"): does the run's copy on the NAS (a
// local mount) hold every file, with the same size (`size`) and the same
// SHA-256 (`checksum`)? Both sides are read through descriptors (the run's,
// and the NAS run folder's opened from the configured mount without following
// links), never through a link, only regular files hashed. Files are compared
// a batch at a time, a few hashed at once as streams. Nothing here writes.
import type { NAS_DIFFERENCES } from '../../domain/errorDetails.ts';
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { byteString, showName, type ShownName } from '../../domain/entryName.ts';
import { mapLimited } from '../../lib/mapLimited.ts';
import { DirHandle, errorCode, READ_FLAGS, type StatLike } from '../dirHandle.ts';
import { ManifestInvalid, openManifest } from './manifestReader.ts';
import { META_DIR } from '../runLayout.ts';
import { walkTree } from './treeWalk.ts';

export type NasCheckMode = 'size' | 'checksum';

export interface NasCheckArgs {
  // The run's descriptor (the caller's).
  runFd: number;
  nasMountRoot: string;
  // The NAS run folder relative to the mount, as nas_path names it.
  nasRunPath: string;
  mode: NasCheckMode;
  // The run's manifest, relative to the run (a byte string).
  manifestPath: string;
}

// The path as shown (entryName.ts), with `escaped` when it is not UTF-8.
export interface NasDifference extends ShownName {
  problem: (typeof NAS_DIFFERENCES)[number];
  local_size?: number;
  nas_size?: number;
}

export type NasCheckResult =
  | { status: 'same' }
  | { status: 'unreachable'; message: string }
  | { status: 'manifest_invalid'; message: string }
  | { status: 'mismatch'; differences: NasDifference[]; count: number };

const MAX_REPORTED = 20;
const CONCURRENCY = 8;
const BATCH = 512;

interface Expected {
  path: string;
  sha256: string | null;
}

export async function checkNasCopy(args: NasCheckArgs): Promise<NasCheckResult> {
  let mount: DirHandle;
  try {
    mount = DirHandle.openTrusted(args.nasMountRoot);
    mount.entries();
  } catch (error) {
    return { status: 'unreachable', message: `the NAS mount ${args.nasMountRoot} cannot be read (${errorCode(error)})` };
  }
  try {
    let nasRun: DirHandle;
    try {
      nasRun = mount.openPath(byteString(args.nasRunPath), true);
    } catch {
      return { status: 'mismatch', differences: [{ path: '.', problem: 'missing_on_nas' }], count: 1 };
    }
    try {
      return await compareAll(args, DirHandle.borrowed(args.runFd), nasRun);
    } finally {
      nasRun.close();
    }
  } catch (error) {
    if (error instanceof ManifestInvalid) return { status: 'manifest_invalid', message: error.message };
    throw error;
  } finally {
    mount.close();
  }
}

async function compareAll(args: NasCheckArgs, run: DirHandle, nasRun: DirHandle): Promise<NasCheckResult> {
  const differences: NasDifference[] = [];
  let count = 0;
  for (const batch of expectedFiles(args, run)) {
    const local = new FolderCache(run);
    const nas = new FolderCache(nasRun);
    try {
      const found = await mapLimited(batch, CONCURRENCY, (item) => compareOne(args.mode, item, local, nas));
      for (const difference of found) {
        if (!difference) continue;
        count += 1;
        if (differences.length < MAX_REPORTED) differences.push(difference);
      }
    } finally {
      local.close();
      nas.close();
    }
  }
  return count === 0 ? { status: 'same' } : { status: 'mismatch', differences, count };
}

// What the NAS must hold, a batch at a time: the manifest's entries (read as
// they are compared), or, without a manifest, every staged file outside
// .exlab-wizard/ (listed first, so held in memory). A manifest that cannot be
// used throws ManifestInvalid.
function* expectedFiles(args: NasCheckArgs, run: DirHandle): Generator<Expected[]> {
  let batch: Expected[] = [];
  for (const entry of openManifest(run, args.manifestPath) ?? stagedFiles(run)) {
    batch.push(entry);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function stagedFiles(run: DirHandle): Expected[] {
  const files: Expected[] = [];
  walkTree(run, { leaf: (entry) => void files.push({ path: entry.relativePath, sha256: null }) }, {
    skipTopLevel: new Set([META_DIR]),
  });
  return files;
}

// The folders of one batch's files, each opened once from the run (or NAS run)
// folder without following links; null for one that is not there.
class FolderCache {
  private readonly open = new Map<string, DirHandle | null>();

  constructor(private readonly root: DirHandle) {}

  // The folder holding `path`, and the file's name in it.
  locate(path: string): { folder: DirHandle; name: string } | null {
    const slash = path.lastIndexOf('/');
    const folderPath = slash === -1 ? '' : path.slice(0, slash);
    let folder = this.open.get(folderPath);
    if (folder === undefined) {
      try {
        folder = this.root.openPath(folderPath);
      } catch {
        folder = null;
      }
      this.open.set(folderPath, folder);
    }
    return folder ? { folder, name: path.slice(slash + 1) } : null;
  }

  lstat(path: string): StatLike | null {
    const at = this.locate(path);
    return at ? at.folder.lstatOrNull(at.name) : null;
  }

  close(): void {
    for (const folder of this.open.values()) folder?.close();
  }
}

async function compareOne(
  mode: NasCheckMode,
  expected: Expected,
  local: FolderCache,
  nas: FolderCache,
): Promise<NasDifference | null> {
  const shown = showName(expected.path);
  const localStat = local.lstat(expected.path);
  const nasStat = nas.lstat(expected.path);
  if (!nasStat) return { ...shown, problem: 'missing_on_nas' };
  if (localStat && localStat.size !== nasStat.size) {
    return { ...shown, problem: 'size_differs', local_size: localStat.size, nas_size: nasStat.size };
  }
  // Only a regular file on the NAS is a copy (a link, folder or FIFO is not).
  if (!nasStat.isFile()) return { ...shown, problem: 'unreadable' };
  if (mode === 'size') return null;
  const want = expected.sha256 ?? (localStat?.isFile() ? await sha256Of(local, expected.path) : null);
  const got = await sha256Of(nas, expected.path);
  if (got === null) return { ...shown, problem: 'unreadable' };
  return want !== null && want !== got ? { ...shown, problem: 'checksum_differs' } : null;
}

// A regular file's SHA-256, read as a stream; null for anything else.
async function sha256Of(folders: FolderCache, path: string): Promise<string | null> {
  const at = folders.locate(path);
  if (!at) return null;
  const hash = createHash('sha256');
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(at.folder.pathOf(at.name), READ_FLAGS);
    if (!(await handle.stat()).isFile()) return null;
    await pipeline(handle.createReadStream({ autoClose: false }), hash);
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
  return hash.digest('hex');
}
