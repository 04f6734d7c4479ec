// Can this process remove entries where a clear must? A clear unlinks inside
// the run and removes the run from its parent: both folders need write and
// search permission (access(2)), must be neither immutable nor append-only
// (inode flags), and a sticky parent lets only the owner of the run or of the
// parent remove it. All asked through the open descriptors, so nothing is
// created and no link is followed. (.exlab-wizard/ is met when ingest.json is
// written.)
import fs from 'node:fs/promises';
import path from 'node:path';
import { CleanupError } from '../domain/errors.ts';
import type { RunLocation } from '../domain/runPath.ts';
import { errorCode, type DirHandle } from './dirHandle.ts';
import { runsAs } from '../lib/runsAs.ts';
import { nativeAt } from './nativeAt.ts';
import type { OpenRun } from './runDirectory.ts';

export interface AccessDenied {
  folder: 'parent' | 'run';
  code: string;
}

const WRITABLE = fs.constants.W_OK | fs.constants.X_OK;
// linux/fs.h: entries can be neither added nor removed / only added.
const FS_IMMUTABLE_FL = 0x10;
const FS_APPEND_FL = 0x20;
const S_ISVTX = 0o1000;

// Why entries cannot be created and removed in this folder, as an errno code, or null.
export async function folderWriteProblem(folder: DirHandle): Promise<string | null> {
  const code = await fs.access(folder.pathOf(''), WRITABLE).then(
    () => null,
    (error: unknown) => errorCode(error),
  );
  if (code !== null) return code;
  const flags = nativeAt.inodeFlags(folder.fd);
  return flags > 0 && (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)) !== 0 ? 'EPERM' : null;
}

export async function writeAccessProblem(opened: OpenRun): Promise<AccessDenied | null> {
  for (const [folder, handle] of [['parent', opened.parent], ['run', opened.run]] as const) {
    const code = await folderWriteProblem(handle);
    if (code !== null) return { folder, code };
  }
  return (await stickyForbids(opened)) ? { folder: 'parent', code: 'EPERM' } : null;
}

// In a sticky folder (mode +t) only root, the folder's owner or the entry's
// may remove the entry.
async function stickyForbids(opened: OpenRun): Promise<boolean> {
  const euid = process.geteuid?.() ?? 0;
  if (euid === 0) return false;
  const [parent, run] = await Promise.all([fs.stat(opened.parent.pathOf('')), fs.stat(opened.run.pathOf(''))]);
  return (parent.mode & S_ISVTX) !== 0 && euid !== parent.uid && euid !== run.uid;
}

export function isPermissionError(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'EACCES' || code === 'EPERM';
}

// The refusal for a folder this process may not write, naming who it runs as.
export function permissionDenied(folder: string, code: string): CleanupError {
  const { uid, gid } = runsAs();
  return new CleanupError(
    'staging_permission_denied',
    { path: folder, code, uid, gid },
    { details: { path: folder, error_code: code, uid, gid } },
  );
}

// Why a clear of the run may not start here, or null.
export async function permissionRefusal(location: RunLocation, opened: OpenRun): Promise<CleanupError | null> {
  const denied = await writeAccessProblem(opened);
  if (!denied) return null;
  return permissionDenied(denied.folder === 'parent' ? path.dirname(location.absolutePath) : location.absolutePath, denied.code);
}
