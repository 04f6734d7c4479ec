// Removing a taken-over lock folder when another taker claimed it in the
// moment between this taker's claim going and the folder's rmdir (seen in
// a four-process takeover race): that taker finds the holder gone and gives
// its claim up, and the removal waits for it; a claim that stays (its taker
// died there) leaves the folder with its holder back, and the taker says
// so rather than calling the lock invalid.
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DirHandle } from '../../src/storage/dirHandle.ts';
import { lockPathOf } from '../../src/storage/runLock.ts';
import { InvalidLock, openLockFolder, removeLockFolder } from '../../src/storage/runLockFolder.ts';
import { plantLock } from '../helpers/plantedLock.ts';
import { makeRun, makeTempDir } from '../helpers/stagingTree.ts';

async function plantedFolder() {
  const run = makeRun(makeTempDir(), 'EQ/P/Runs/Run_1');
  const lockDir = plantLock(run, { host: 'orch-2' }, 60_000);
  const parent = DirHandle.openTrusted(path.dirname(run));
  const folder = await openLockFolder(parent, path.basename(lockDir));
  if (!folder) throw new Error('no lock folder');
  return { run, lockDir, parent, folder };
}

it('removes a lock folder once the claim another taker made meanwhile is given up, and answers true', async () => {
  const { lockDir, parent, folder } = await plantedFolder();
  const claim = path.join(lockDir, 'takeover');
  fs.mkdirSync(claim);
  // The other taker gives its claim up as it sees the holder gone.
  const watcher = fs.watch(lockDir, (_event, name) => {
    if (name === 'holder.json' && !fs.existsSync(path.join(lockDir, 'holder.json'))) fs.rmSync(claim, { recursive: true, force: true });
  });
  try {
    expect(await removeLockFolder(parent, path.basename(lockDir), folder)).toBe(true);
    expect(fs.existsSync(lockDir)).toBe(false);
  } finally {
    watcher.close();
    folder.dir.close();
    parent.close();
  }
});

it("leaves a lock folder whose claim by another taker stays, holder and claim in place, and answers false, not InvalidLock", async () => {
  const { run, lockDir, parent, folder } = await plantedFolder();
  const holder = fs.readFileSync(path.join(lockDir, 'holder.json'), 'utf8');
  fs.mkdirSync(path.join(lockDir, 'takeover'));
  try {
    expect(await removeLockFolder(parent, path.basename(lockDir), folder)).toBe(false);
    expect(fs.readdirSync(lockPathOf(run)).sort()).toEqual(['holder.json', 'takeover']);
    expect(JSON.parse(fs.readFileSync(path.join(lockDir, 'holder.json'), 'utf8'))).toEqual(JSON.parse(holder));
  } finally {
    folder.dir.close();
    parent.close();
  }
});

it('still calls a lock folder holding anything else invalid, and leaves it', async () => {
  const { lockDir, parent, folder } = await plantedFolder();
  fs.writeFileSync(path.join(lockDir, 'planted.txt'), 'not a lock file');
  try {
    await expect(removeLockFolder(parent, path.basename(lockDir), folder)).rejects.toBeInstanceOf(InvalidLock);
    expect(fs.existsSync(path.join(lockDir, 'planted.txt'))).toBe(true);
  } finally {
    folder.dir.close();
    parent.close();
  }
});

it('removes a lock folder with nothing but its holder, and answers true', async () => {
  const { lockDir, parent, folder } = await plantedFolder();
  try {
    expect(await removeLockFolder(parent, path.basename(lockDir), folder)).toBe(true);
    expect(fs.existsSync(lockDir)).toBe(false);
  } finally {
    folder.dir.close();
    parent.close();
  }
});
