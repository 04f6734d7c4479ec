// The optional NAS check of DESIGN §4a: does the run's copy on the NAS (a
// local mount) hold every file, with the same size (`size`) and the same
// SHA-256 (`checksum`)? Files are compared a few at a time, each hashed as a
// stream. Nothing here writes to either side.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import fsp from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { mapLimited } from '../lib/mapLimited.ts';
import { ManifestUnreadable, openManifest } from './manifestReader.ts';
import { META_DIR } from './runLayout.ts';
import { errorCode, walkTree } from './treeWalk.ts';

export type NasCheckMode = 'size' | 'checksum';

export interface NasCheckArgs {
  runDir: string;
  nasMountRoot: string;
  nasRunDir: string;
  mode: NasCheckMode;
  manifestPath: string;
}

export interface NasDifference {
  path: string;
  problem: 'missing_on_nas' | 'size_differs' | 'checksum_differs' | 'unreadable';
  local_size?: number;
  nas_size?: number;
}

export type NasCheckResult =
  | { status: 'same' }
  | { status: 'unreachable'; message: string }
  | { status: 'mismatch'; differences: NasDifference[]; count: number };

const MAX_REPORTED = 20;
const CONCURRENCY = 8;
const BATCH = 512;

interface Expected {
  path: string;
  sha256: string | null;
}

export async function checkNasCopy(args: NasCheckArgs): Promise<NasCheckResult> {
  const mountProblem = await fsp.readdir(args.nasMountRoot).then(
    () => null,
    (error: unknown) => errorCode(error),
  );
  if (mountProblem) {
    return { status: 'unreachable', message: `the NAS mount ${args.nasMountRoot} cannot be read (${mountProblem})` };
  }
  const runStat = await fsp.stat(args.nasRunDir).catch(() => null);
  if (!runStat?.isDirectory()) {
    return { status: 'mismatch', differences: [{ path: '.', problem: 'missing_on_nas' }], count: 1 };
  }
  const differences: NasDifference[] = [];
  let count = 0;
  const compareAll = async (batch: Expected[]): Promise<void> => {
    for (const difference of await mapLimited(batch, CONCURRENCY, (item) => compareOne(args, item))) {
      if (!difference) continue;
      count += 1;
      if (differences.length < MAX_REPORTED) differences.push(difference);
    }
  };
  for (const batch of expectedFiles(args)) await compareAll(batch);
  return count === 0 ? { status: 'same' } : { status: 'mismatch', differences, count };
}

// What the NAS must hold, a batch at a time: the manifest's entries (read as
// they are compared), or, without a usable manifest, every staged file
// outside .exlab-wizard/ (listed first, so held in memory).
function* expectedFiles(args: NasCheckArgs): Generator<Expected[]> {
  let batch: Expected[] = [];
  for (const entry of manifestOrNull(args.manifestPath) ?? stagedFiles(args.runDir)) {
    batch.push(entry);
    if (batch.length === BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function manifestOrNull(file: string): Iterable<Expected> | null {
  try {
    return openManifest(file);
  } catch (error) {
    if (error instanceof ManifestUnreadable) return null;
    throw error;
  }
}

function stagedFiles(runDir: string): Expected[] {
  const files: Expected[] = [];
  walkTree(runDir, { leaf: (entry) => void files.push({ path: entry.relativePath, sha256: null }) }, {
    skipTopLevel: new Set([META_DIR]),
  });
  return files;
}

async function compareOne(args: NasCheckArgs, expected: Expected): Promise<NasDifference | null> {
  const local = await fsp.lstat(`${args.runDir}/${expected.path}`).catch(() => null);
  const nasFile = `${args.nasRunDir}/${expected.path}`;
  const nas = await fsp.lstat(nasFile).catch(() => null);
  if (!nas) return { path: expected.path, problem: 'missing_on_nas' };
  if (local && local.size !== nas.size) {
    return { path: expected.path, problem: 'size_differs', local_size: local.size, nas_size: nas.size };
  }
  if (args.mode === 'size' || !nas.isFile()) return null;
  const want = expected.sha256 ?? (local?.isFile() ? await sha256Of(`${args.runDir}/${expected.path}`) : null);
  const got = await sha256Of(nasFile);
  if (got === null) return { path: expected.path, problem: 'unreadable' };
  return want !== null && want !== got ? { path: expected.path, problem: 'checksum_differs' } : null;
}

async function sha256Of(file: string): Promise<string | null> {
  const hash = createHash('sha256');
  try {
    const handle = await fsp.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    await pipeline(handle.createReadStream(), hash);
  } catch {
    return null;
  }
  return hash.digest('hex');
}
