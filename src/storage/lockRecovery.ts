// At start: the run locks this host's earlier process left when it died
// (killed, OOM, power cut) are taken over at once, so that the first sweep
// after a restart finishes interrupted clears without waiting. Locks sit
// beside run leaves, so the walk looks where runs are (stagingScan.ts) and never
// follows a link. Paths are byte strings, as the names on disk are.
import fs from 'node:fs/promises';
import path from 'node:path';
import { byteString } from '../domain/entryName.ts';
import { isHiddenName } from '../domain/runPath.ts';
import { runDirOfLock, type RunLocks } from './runLock.ts';
import { onDisk } from './runLockHolder.ts';

interface Entry {
  name: string;
  isDirectory: boolean;
}

// How many dead holders' locks were removed.
export async function reclaimDeadLocks(stagingRoot: string, locks: RunLocks): Promise<number> {
  let reclaimed = 0;
  for (const lockDir of await findRunLocks(stagingRoot)) {
    const runDir = runDirOfLock(lockDir);
    if (runDir && (await locks.reclaimIfDead(runDir))) reclaimed += 1;
  }
  return reclaimed;
}

async function findRunLocks(stagingRoot: string): Promise<string[]> {
  const found: string[] = [];
  const root = byteString(stagingRoot);
  for (const equipment of visibleFolders(await entriesOf(root))) {
    for (const project of visibleFolders(await entriesOf(path.join(root, equipment)))) {
      const projectDir = path.join(root, equipment, project);
      const entries = await entriesOf(projectDir);
      // Legacy runs sit in the project folder, current ones in Runs/ or TestRuns/.
      found.push(...lockFolders(projectDir, entries));
      for (const container of ['Runs', 'TestRuns']) {
        if (!entries.some((entry) => entry.name === container && entry.isDirectory)) continue;
        const containerDir = path.join(projectDir, container);
        found.push(...lockFolders(containerDir, await entriesOf(containerDir)));
      }
    }
  }
  return found;
}

// A folder that cannot be read (or a root that is not there) has no locks.
// Dirent.isDirectory() is false for a link: links are never followed.
async function entriesOf(directory: string): Promise<Entry[]> {
  const dirents = await fs.readdir(onDisk(directory), { encoding: 'buffer', withFileTypes: true }).catch(() => []);
  return dirents.map((dirent) => ({ name: dirent.name.toString('latin1'), isDirectory: dirent.isDirectory() }));
}

function visibleFolders(entries: Entry[]): string[] {
  return entries.filter((entry) => entry.isDirectory && !isHiddenName(entry.name)).map((entry) => entry.name);
}

function lockFolders(directory: string, entries: Entry[]): string[] {
  return entries
    .filter((entry) => entry.isDirectory && runDirOfLock(entry.name) !== null)
    .map((entry) => path.join(directory, entry.name));
}
