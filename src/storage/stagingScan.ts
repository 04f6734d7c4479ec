// Finds the run leaves of a staging root as DESIGN §2 lays them out, through
// descriptors (each folder opened from its parent without following links),
// ignoring hidden names at every level. A name that is not UTF-8 cannot be
// named in the API, so no run is found under it.
import fsp from 'node:fs/promises';
import { byteString } from '../domain/entryName.ts';
import { CleanupError } from '../domain/errors.ts';
import { isHiddenName, resolveRunPath, runLayoutOf, type RunLocation } from '../domain/runPath.ts';
import { DirHandle, errorCode } from './dirHandle.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function listRunLeaves(stagingRoot: string): Promise<RunLocation[]> {
  const unavailable = (error: unknown): CleanupError =>
    new CleanupError('staging_root_unavailable', { why: `${stagingRoot} cannot be read (${errorCode(error)})` });
  const root = await DirHandle.openTrustedAsync(stagingRoot).catch((error: unknown) => {
    throw unavailable(error);
  });
  try {
    const equipment = await subdirectories(root).catch((error: unknown) => {
      throw unavailable(error);
    });
    const found = await Promise.all(equipment.map((name) => leavesUnder(root, [name], 1)));
    return found
      .flat()
      .filter((segments) => runLayoutOf(segments) !== null)
      .map((segments) => resolveRunPath(segments.join('/'), stagingRoot));
  } finally {
    await root.closeAsync();
  }
}

// The candidate leaves below `segments`: the folders at the project level
// (legacy runs) and those inside Runs/ and TestRuns/.
async function leavesUnder(parent: DirHandle, segments: string[], depth: number): Promise<string[][]> {
  const name = segments.at(-1) as string;
  let folder: DirHandle;
  try {
    folder = await parent.openDirectoryAsync(byteString(name));
  } catch {
    return [];
  }
  try {
    const children = await subdirectories(folder).catch(() => []);
    const here = children.map((child) => [...segments, child]);
    if (depth === 3) return here;
    const descend = depth === 1 ? children : children.filter((child) => child === 'Runs' || child === 'TestRuns');
    const below = await Promise.all(descend.map((child) => leavesUnder(folder, [...segments, child], depth + 1)));
    return [...(depth === 2 ? here : []), ...below.flat()];
  } finally {
    await folder.closeAsync();
  }
}

// A link to a directory is not a directory here: links are never followed.
async function subdirectories(folder: DirHandle): Promise<string[]> {
  const dirents = await fsp.readdir(`/proc/self/fd/${folder.fd}`, { encoding: 'buffer', withFileTypes: true });
  return dirents.flatMap((dirent) => {
    if (!dirent.isDirectory()) return [];
    const name = utf8Name(dirent.name);
    return name !== null && !isHiddenName(name) ? [name] : [];
  });
}

function utf8Name(bytes: Buffer): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
