// Finds the run leaves of a staging root as the Wizard lays them out (EQUIPMENT/PROJECT/Runs/Run_*, TestRuns/TestRun_*, or a legacy PROJECT/Run_*), through
// descriptors (each folder opened from its parent without following links),
// ignoring hidden names at every level. Names are bytes (a run path shows one
// that is not UTF-8 escaped). Nothing is dropped without a word: a folder on
// the way to runs (equipment, project, Runs/, TestRuns/) that cannot be
// opened or read, and a link where such a folder or a run would be, are
// folder problems, so that the runs below them are never silently missing.
import fsp from 'node:fs/promises';
import { showRunName } from '../domain/entryName.ts';
import { CleanupError } from '../domain/errors.ts';
import { isHiddenName, locateRun, runLayoutOf, type RunLocation } from '../domain/runPath.ts';
import { DirHandle, errorCode } from './dirHandle.ts';

export const FOLDER_PROBLEM_CODES = ['folder_unreadable', 'folder_link'] as const;

export interface FolderProblem {
  // The folder's names below staging_root, as byte strings.
  segments: string[];
  code: (typeof FOLDER_PROBLEM_CODES)[number];
  // What opening or reading it met (EACCES, EIO, ...), for folder_unreadable.
  errorCode?: string;
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

export async function scanStagingTree(stagingRoot: string): Promise<StagingTree> {
  const unavailable = (error: unknown): CleanupError =>
    new CleanupError('staging_root_unavailable', { why: `${stagingRoot} cannot be read (${errorCode(error)})` });
  const root = await DirHandle.openTrustedAsync(stagingRoot).catch((error: unknown) => {
    throw unavailable(error);
  });
  try {
    const children = await childrenOf(root).catch((error: unknown) => {
      throw unavailable(error);
    });
    const found = merge([linksAmong(children, [], 1), ...(await Promise.all(children.folders.map((name) => below(root, [name], 1))))]);
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
async function below(parent: DirHandle, segments: string[], depth: number): Promise<Found> {
  const name = segments.at(-1) as string;
  const unreadable = (error: unknown): Found => ({
    leaves: [],
    problems: [{ segments, code: 'folder_unreadable', errorCode: errorCode(error) }],
  });
  let folder: DirHandle;
  try {
    folder = await parent.openDirectoryAsync(name);
  } catch (error) {
    // Gone since it was listed: nothing to account for.
    return errorCode(error) === 'ENOENT' ? { leaves: [], problems: [] } : unreadable(error);
  }
  try {
    let children: Children;
    try {
      children = await childrenOf(folder);
    } catch (error) {
      return unreadable(error);
    }
    const links = linksAmong(children, segments, depth + 1);
    const here = children.folders.map((child) => [...segments, child]);
    if (depth === 3) return merge([{ leaves: here, problems: [] }, links]);
    const descend = depth === 1 ? children.folders : children.folders.filter((child) => CONTAINERS.has(child));
    const deeper = await Promise.all(descend.map((child) => below(folder, [...segments, child], depth + 1)));
    return merge([{ leaves: depth === 2 ? here : [], problems: [] }, links, ...deeper]);
  } finally {
    await folder.closeAsync();
  }
}

// The links among a folder's entries that stand where a folder the walk
// would enter, or a run, would be (`depth` of the entries, as in below()).
function linksAmong(children: Children, segments: string[], depth: number): Found {
  const standsForFolder = (name: string): boolean =>
    depth <= 2 || (depth === 3 && CONTAINERS.has(name)) || runLayoutOf([...segments, name]) !== null;
  return {
    leaves: [],
    problems: children.links.filter(standsForFolder).map((name) => ({ segments: [...segments, name], code: 'folder_link' as const })),
  };
}

function merge(parts: Found[]): Found {
  return { leaves: parts.flatMap((part) => part.leaves), problems: parts.flatMap((part) => part.problems) };
}

interface Children {
  folders: string[];
  links: string[];
}

// The visible sub-folders and links of a folder, by byte name. A link to a
// directory is not a directory here: links are never followed.
async function childrenOf(folder: DirHandle): Promise<Children> {
  const dirents = await fsp.readdir(`/proc/self/fd/${folder.fd}`, { encoding: 'buffer', withFileTypes: true });
  const children: Children = { folders: [], links: [] };
  for (const dirent of dirents) {
    const name = dirent.name.toString('latin1');
    if (isHiddenName(name)) continue;
    if (dirent.isDirectory()) children.folders.push(name);
    else if (dirent.isSymbolicLink()) children.links.push(name);
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
    message:
      problem.code === 'folder_link'
        ? `${path} is a symbolic link; links are never followed, so no run under it is listed or cleared.`
        : `${path} cannot be read (${problem.errorCode}); the runs under it, if any, cannot be listed or cleared until it can.`,
    ...(problem.errorCode ? { error_code: problem.errorCode } : {}),
    ...(shown.some((name) => name.escaped) ? { escaped: true as const } : {}),
  };
}
