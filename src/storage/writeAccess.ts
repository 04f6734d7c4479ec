// Can this process remove entries where a clear must? A clear unlinks inside
// the run and removes the run from its parent: both folders need write and
// search permission and must not be immutable. Asked of the kernel
// (access(2)) through the open descriptors, so nothing is created and no
// link is followed. (.exlab-wizard/ is met when ingest.json is written.)
import fs from 'node:fs/promises';
import path from 'node:path';
import { CleanupError } from '../domain/errors.ts';
import type { RunLocation } from '../domain/runPath.ts';
import { errorCode } from './dirHandle.ts';
import type { OpenRun } from './runDirectory.ts';

export interface AccessDenied {
  folder: 'parent' | 'run';
  code: string;
}

const WRITABLE = fs.constants.W_OK | fs.constants.X_OK;

export async function writeAccessProblem(opened: OpenRun): Promise<AccessDenied | null> {
  for (const [folder, handle] of [['parent', opened.parent], ['run', opened.run]] as const) {
    const code = await fs.access(handle.pathOf(''), WRITABLE).then(
      () => null,
      (error: unknown) => errorCode(error),
    );
    if (code !== null) return { folder, code };
  }
  return null;
}

export function isPermissionError(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'EACCES' || code === 'EPERM';
}

// The refusal for a folder this process may not write, naming who it runs as.
export function permissionDenied(folder: string, code: string): CleanupError {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
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
