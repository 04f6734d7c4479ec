// The shell of a surveyed run, once every share has removed its entries: the
// emptied folders bottom-up, then (only if nothing was left anywhere) the
// manifest, ingest.json, .exlab-wizard and the run folder itself, so that a
// run left half-removed still says what it is and the next clear still judges
// every file it finds against the manifest. Each folder is opened from the
// run's descriptor without following links, and each entry removed relative
// to its folder (dirHandle.ts).
import { DirHandle, errorCode } from '../dirHandle.ts';
import { INGEST_PATH, META_DIR } from '../runLayout.ts';
import { Tally, type DeleteOutcome } from './deleteTally.ts';
import { unlinked } from './treeDelete.ts';

// Where the run is: its own descriptor, and its parent's with its name there
// (to remove the run folder itself). The caller opened both and closes them.
export interface RunFolder {
  runFd: number;
  parentFd: number;
  runName: string;
}

// After every share: the folders bottom-up; only if nothing was left
// anywhere, the manifest (`manifestPath`, when the clear judged files) and
// its folders, then ingest.json, .exlab-wizard and the run itself.
export function removeSurveyedShell(
  at: RunFolder,
  directories: readonly string[],
  directoriesWithLeft: readonly string[],
  manifestPath?: string,
): DeleteOutcome {
  const tally = new Tally({});
  const run = DirHandle.borrowed(at.runFd);
  const keptInside = (directory: string): boolean =>
    directoriesWithLeft.some((kept) => kept === directory || kept.startsWith(`${directory}/`));
  const manifestFolders = new Set(manifestPath ? foldersAbove(manifestPath) : []);
  const folders = directories.filter((directory) => directory !== '' && directory !== META_DIR);
  for (const directory of deepestFirst(folders.filter((folder) => !manifestFolders.has(folder)))) {
    removeDirectory(run, directory, keptInside(directory), tally);
  }
  if (directoriesWithLeft.length > 0 || tally.outcome.leftCount > 0) return tally.outcome;
  // Anything else still in the run (a folder made after the survey listed
  // the top level) keeps the manifest and ingest.json, so the run stays
  // a run that the next clear judges and finishes.
  const lastOnes = new Set([META_DIR, ...(manifestPath ? [manifestPath.split('/')[0] as string] : [])]);
  for (const entry of run.entries()) if (!lastOnes.has(entry.name)) tally.leave(entry.name, 'appeared_after_check');
  if (tally.outcome.leftCount > 0) return tally.outcome;
  if (manifestPath) removeFile(run, manifestPath, tally);
  for (const directory of deepestFirst(folders.filter((folder) => manifestFolders.has(folder)))) {
    removeDirectory(run, directory, false, tally);
  }
  if (tally.outcome.leftCount > 0) return tally.outcome;
  removeFile(run, INGEST_PATH, tally);
  removeDirectory(run, META_DIR, false, tally);
  if (tally.outcome.leftCount === 0) {
    const parent = DirHandle.borrowed(at.parentFd);
    removeEntry(() => parent.rmdir(at.runName), '', false, tally);
  }
  return tally.outcome;
}

function deepestFirst(folders: string[]): string[] {
  return folders.sort((a, b) => b.split('/').length - a.split('/').length);
}

// 'a/b/file' -> ['a', 'a/b']
function foldersAbove(relativePath: string): string[] {
  const segments = relativePath.split('/').slice(0, -1);
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}

// A file some levels down, removed (and counted) relative to its folder.
function removeFile(run: DirHandle, relativePath: string, tally: Tally): void {
  inParent(run, relativePath, tally, (parent, name) => {
    const stat = parent.lstatOrNull(name);
    if (stat && unlinked(parent, name, relativePath, tally, stat)) tally.removed(1, stat.freedBytes());
  });
}

// A folder some levels down, removed relative to its own parent folder,
// which is opened from the run without following links.
function removeDirectory(run: DirHandle, relativePath: string, somethingKeptInside: boolean, tally: Tally): void {
  inParent(run, relativePath, tally, (parent, name) =>
    removeEntry(() => parent.rmdir(name), relativePath, somethingKeptInside, tally),
  );
}

function inParent<T>(
  run: DirHandle,
  relativePath: string,
  tally: Tally,
  work: (parent: DirHandle, name: string) => T,
): T | undefined {
  const slash = relativePath.lastIndexOf('/');
  let parent: DirHandle | undefined;
  try {
    parent = run.openPath(slash === -1 ? '' : relativePath.slice(0, slash));
    return work(parent, relativePath.slice(slash + 1));
  } catch (error) {
    const code = errorCode(error);
    // Gone, or no longer a folder (never entered): nothing of it to remove.
    if (code !== 'ENOENT' && code !== 'ELOOP' && code !== 'ENOTDIR') tally.leave(relativePath, code);
    return undefined;
  } finally {
    parent?.close();
  }
}

function removeEntry(remove: () => void, relativePath: string, somethingKeptInside: boolean, tally: Tally): void {
  try {
    remove();
  } catch (error) {
    const code = errorCode(error);
    // A folder kept because something inside it was kept is not news.
    if (code === 'ENOENT' || (code === 'ENOTEMPTY' && somethingKeptInside)) return;
    tally.leave(relativePath, code);
  }
}
