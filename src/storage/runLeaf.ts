// Checks on disk that a resolved run path is a real directory reached
// without passing through a symbolic link (DESIGN §4 step 1).
import fs from 'node:fs/promises';
import { CleanupError } from '../domain/errors.ts';
import type { RunLocation } from '../domain/runPath.ts';

export type LeafPresence = 'present' | 'missing';

export async function checkRunLeaf(location: RunLocation, stagingRoot: string): Promise<LeafPresence> {
  let current = stagingRoot;
  for (const segment of location.runPath.split('/')) {
    current = `${current}/${segment}`;
    let stat;
    try {
      stat = await fs.lstat(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
      throw new CleanupError(
        'staging_root_unavailable',
        `${current} cannot be examined (${code ?? 'error'}); nothing was read or deleted.`,
      );
    }
    if (stat.isSymbolicLink()) {
      throw new CleanupError(
        'invalid_run_path',
        `Invalid run path: ${current} is a symbolic link; links are never followed.`,
        { field: 'run_path' },
      );
    }
    if (!stat.isDirectory()) {
      throw new CleanupError('invalid_run_path', `Invalid run path: ${current} is not a directory.`, {
        field: 'run_path',
      });
    }
  }
  return 'present';
}
