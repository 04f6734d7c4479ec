// At start: the run locks this host's earlier process left when it died
// (killed, OOM, power cut) are taken over at once, so that the first sweep
// after a restart finishes interrupted clears without waiting. Locks sit
// beside run leaves, so the walk looks where runs are (as stagingScan.ts
// does): each folder opened from its parent without following links, and
// each lock reached through its folder's descriptor. Paths are byte strings,
// as the names on disk are.
import path from 'node:path';
import { byteString } from '../domain/entryName.ts';
import { isHiddenName } from '../domain/runPath.ts';
import { DirHandle, type DirEntry } from './dirHandle.ts';
import { runDirOfLock, type RunLocks } from './runLock.ts';

const CONTAINERS = new Set(['Runs', 'TestRuns']);

// How many dead holders' locks were removed. A folder that cannot be read
// (or a root that is not there) has no locks; a lock that cannot be judged
// now is met again by the next clear of its run.
export async function reclaimDeadLocks(stagingRoot: string, locks: RunLocks): Promise<number> {
  const root = await DirHandle.openTrustedAsync(stagingRoot).catch(() => null);
  if (!root) return 0;
  try {
    return await reclaimBelow(root, byteString(stagingRoot), 0, locks);
  } finally {
    await root.closeAsync();
  }
}

// Below `folder` at `depth` (0 the root, 1 equipment, 2 project, 3 Runs/ or
// TestRuns/): legacy runs sit in the project folder, current ones in Runs/
// and TestRuns/.
async function reclaimBelow(folder: DirHandle, folderPath: string, depth: number, locks: RunLocks): Promise<number> {
  let entries: DirEntry[];
  try {
    entries = folder.entries();
  } catch {
    return 0;
  }
  let reclaimed = 0;
  if (depth >= 2) {
    for (const entry of entries) {
      const runDir = entry.isDirectory ? runDirOfLock(path.join(folderPath, entry.name)) : null;
      if (runDir && (await locks.reclaimIfDead(runDir, folder.fd).catch(() => false))) reclaimed += 1;
    }
  }
  const deeper = entries.filter(
    (entry) => entry.isDirectory && !isHiddenName(entry.name) && (depth < 2 || (depth === 2 && CONTAINERS.has(entry.name))),
  );
  for (const entry of deeper) {
    const child = await folder.openDirectoryAsync(entry.name).catch(() => null);
    if (!child) continue;
    try {
      reclaimed += await reclaimBelow(child, path.join(folderPath, entry.name), depth + 1, locks);
    } finally {
      await child.closeAsync();
    }
  }
  return reclaimed;
}
