// Replaces a file inside an opened folder so that readers see either the old
// or the new content, never a torn one, and the new content survives a power
// cut once we return: a temporary file in the same folder, fsync, rename,
// fsync of the folder, all relative to the folder's descriptor.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { promisify } from 'node:util';
import type { DirHandle } from './dirHandle.ts';

const fsyncAsync = promisify(fs.fsync);
const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

export async function writeFileAtomicIn(folder: DirHandle, name: string, content: string): Promise<void> {
  const temporary = `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fsp.open(folder.pathOf(temporary), CREATE_FLAGS, 0o644);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fsp.rm(folder.pathOf(temporary), { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fsp.rename(folder.pathOf(temporary), folder.pathOf(name));
  } catch (error) {
    await fsp.rm(folder.pathOf(temporary), { force: true });
    throw error;
  }
  await fsyncAsync(folder.fd);
}
