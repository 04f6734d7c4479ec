// Finds the run leaves of a staging root as the Wizard lays them out (EQUIPMENT/PROJECT/Runs/Run_*, TestRuns/TestRun_*, or a legacy PROJECT/Run_*), through
// descriptors (each folder opened from its parent without following links),
// ignoring hidden names at every level. Names are bytes (a run path shows one
// that is not UTF-8 escaped). Nothing is dropped without a word: a folder on
// the way to runs (equipment, project, Runs/, TestRuns/) that cannot be
// opened or read, or that is another filesystem mounted there, a link where
// such a folder or a run would be, and any entry that is not a folder where
// only folders belong (the root, equipment, project, Runs/ and TestRuns/
// folders) are folder problems, so that the runs below them are never
// silently missing. The root is the pinned one (stagingRootGuard.ts), and
// no folder of another filesystem is read.
import fsp from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { showRunName } from '../domain/entryName.ts';
import { CleanupError } from '../domain/errors.ts';
import { isHiddenName, locateRun, runLayoutOf, type RunLocation } from '../domain/runPath.ts';
import { errorCode, type DirHandle } from './dirHandle.ts';
import type { StagingRootGuard } from './stagingRootGuard.ts';

export const FOLDER_PROBLEM_CODES = ['folder_unreadable', 'folder_link', 'folder_other_filesystem', 'not_a_folder'] as const;

// What an entry that is neither a folder nor a link is, and how it is said.
export const ENTRY_TYPE_NAMES = ['file', 'fifo', 'socket', 'block_device', 'char_device'] as const;
export type EntryType = (typeof ENTRY_TYPE_NAMES)[number];
const ENTRY_TYPES: Record<EntryType, { said: string; is: (dirent: Dirent<Buffer>) => boolean }> = {
  file: { said: 'regular file', is: (dirent) => dirent.isFile() },
  fifo: { said: 'FIFO (named pipe)', is: (dirent) => dirent.isFIFO() },
  socket: { said: 'socket', is: (dirent) => dirent.isSocket() },
  block_device: { said: 'block device', is: (dirent) => dirent.isBlockDevice() },
  char_device: { said: 'character device', is: (dirent) => dirent.isCharacterDevice() },
};

export interface FolderProblem {
  // The folder's (or entry's) names below staging_root, as byte strings.
  segments: string[];
  code: (typeof FOLDER_PROBLEM_CODES)[number];
  // What opening or reading it met (EACCES, EIO, ...), for folder_unreadable.
  errorCode?: string;
  // What it is, for not_a_folder.
  entryType?: EntryType;
}

export interface StagingTree {
  leaves: RunLocation[];
  problems: FolderProblem[];
}

interface Found {
  leaves: string[][];
  problems: FolderProblem[];
}

const CONTAINERS = new Set(['Runs', 'TestRuns']);

// Called with each folder the walk enters (the root as []), before its
// entries are read: a watch set there misses no entry made after.
export type FolderVisit = (segments: readonly string[], folder: DirHandle) => void;

export async function scanStagingTree(guard: StagingRootGuard, visit: FolderVisit = () => undefined): Promise<StagingTree> {
  const stagingRoot = guard.path;
  const root = await guard.open();
  try {
    let children: Children;
    let mount: number;
    try {
      visit([], root);
      [children, mount] = [await childrenOf(root), root.mountId()];
    } catch (error) {
      throw new CleanupError('staging_root_unavailable', { why: `${stagingRoot} cannot be read (${errorCode(error)})` });
    }
    const found = merge([
      problemsAmong(children, [], 1),
      ...(await Promise.all(children.folders.map((name) => below({ folder: root, mount, visit }, [name], 1)))),
    ]);
    return {
      leaves: found.leaves.filter((segments) => runLayoutOf(segments) !== null).map((segments) => locateRun(segments, stagingRoot)),
      problems: found.problems,
    };
  } finally {
    await root.closeAsync();
  }
}

// What lies below the folder `segments` (at `depth`: 1 equipment, 2 project,
// 3 Runs/ or TestRuns/): the candidate leaves (folders at the project level,
// legacy runs, and those inside Runs/ and TestRuns/) and the problems met.
// `mount`: the staging root's (DirHandle.mountId), which every folder entered shares.
async function below(parent: { folder: DirHandle; mount: number; visit: FolderVisit }, segments: string[], depth: number): Promise<Found> {
  const name = segments.at(-1) as string;
  const unreadable = (error: unknown): Found => ({
    leaves: [],
    problems: [{ segments, code: 'folder_unreadable', errorCode: errorCode(error) }],
  });
  let folder: DirHandle;
  try {
    // Its mount is judged below, as a problem of its own.
    folder = await parent.folder.openDirectoryAsync(name, true);
  } catch (error) {
    // Gone since it was listed: nothing to account for.
    return errorCode(error) === 'ENOENT' ? { leaves: [], problems: [] } : unreadable(error);
  }
  try {
    let children: Children;
    try {
      // Nothing of another filesystem is read, not even its names.
      if (folder.mountId() !== parent.mount) return { leaves: [], problems: [{ segments, code: 'folder_other_filesystem' }] };
      parent.visit(segments, folder);
      children = await childrenOf(folder);
    } catch (error) {
      return unreadable(error);
    }
    const named = problemsAmong(children, segments, depth + 1);
    const here = children.folders.map((child) => [...segments, child]);
    if (depth === 3) return merge([{ leaves: here, problems: [] }, named]);
    const descend = depth === 1 ? children.folders : children.folders.filter((child) => CONTAINERS.has(child));
    const deeper = await Promise.all(descend.map((child) => below({ ...parent, folder }, [...segments, child], depth + 1)));
    return merge([{ leaves: depth === 2 ? here : [], problems: [] }, named, ...deeper]);
  } finally {
    await folder.closeAsync();
  }
}

// The problems among a folder's entries (`depth` of the entries, as in
// below()): the links that stand where a folder the walk would enter, or a
// run, would be, and every entry that is not a folder.
function problemsAmong(children: Children, segments: string[], depth: number): Found {
  const standsForFolder = (name: string): boolean =>
    depth <= 2 || (depth === 3 && CONTAINERS.has(name)) || runLayoutOf([...segments, name]) !== null;
  return {
    leaves: [],
    problems: [
      ...children.links.filter(standsForFolder).map((name) => ({ segments: [...segments, name], code: 'folder_link' as const })),
      ...children.others.map(({ name, type }) => ({ segments: [...segments, name], code: 'not_a_folder' as const, entryType: type })),
    ],
  };
}

function merge(parts: Found[]): Found {
  return { leaves: parts.flatMap((part) => part.leaves), problems: parts.flatMap((part) => part.problems) };
}

interface Children {
  folders: string[];
  links: string[];
  others: Array<{ name: string; type: EntryType }>;
}

// The visible entries of a folder, by byte name: sub-folders, links and the
// rest. A link to a directory is not a directory here: links are never followed.
async function childrenOf(folder: DirHandle): Promise<Children> {
  const dirents = await fsp.readdir(folder.pathOf(''), { encoding: 'buffer', withFileTypes: true });
  const children: Children = { folders: [], links: [], others: [] };
  for (const dirent of dirents) {
    const name = dirent.name.toString('latin1');
    if (isHiddenName(name)) continue;
    if (dirent.isDirectory()) children.folders.push(name);
    else if (dirent.isSymbolicLink()) children.links.push(name);
    else {
      const type = ENTRY_TYPE_NAMES.find((each) => ENTRY_TYPES[each].is(dirent));
      if (type) children.others.push({ name, type });
    }
  }
  return children;
}

// How a folder problem is shown: its path under the root and a sentence.
export function describeFolderProblem(problem: FolderProblem, stagingRoot: string) {
  const shown = problem.segments.map(showRunName);
  const relative = shown.map((name) => name.path).join('/');
  const path = `${stagingRoot}/${relative}`;
  return {
    path,
    run_path: relative,
    code: problem.code,
    message: messageOf(problem, path),
    ...(problem.errorCode ? { error_code: problem.errorCode } : {}),
    ...(problem.entryType ? { entry_type: problem.entryType } : {}),
    ...(shown.some((name) => name.escaped) ? { escaped: true as const } : {}),
  };
}

function messageOf(problem: FolderProblem, path: string): string {
  switch (problem.code) {
    case 'folder_link':
      return `${path} is a symbolic link; links are never followed, so no run under it is listed or cleared.`;
    case 'folder_other_filesystem':
      return (
        `${path} is another filesystem mounted there (a mount point); the service lists and clears runs only on the ` +
        `staging root's own filesystem, so no run under it is listed or cleared, and nothing on it is read or deleted.`
      );
    case 'not_a_folder': {
      const said = problem.entryType ? ENTRY_TYPES[problem.entryType].said : 'entry';
      return (
        `${path} is a ${said}, not a folder: only equipment, project, Runs/, TestRuns/ and run folders belong there. ` +
        `The service leaves it alone; move or remove it.`
      );
    }
    case 'folder_unreadable':
      return `${path} cannot be read (${problem.errorCode}); the runs under it, if any, cannot be listed or cleared until it can.`;
  }
}
