// The volume under staging_root, measured on the root's own descriptor
// (fstatvfs, native/at.c): the pinned folder the service walks and deletes
// in (stagingRootGuard.ts), and f_frsize-based figures as df shows them
// (Node's fs.statfs takes a path and reports f_bsize).
import { CleanupError } from '../domain/errors.ts';
import { volumeOf, type VolumeStats } from '../domain/volume.ts';
import { errorCode } from './dirHandle.ts';
import { nativeAt } from './nativeAt.ts';
import type { StagingRootGuard } from './stagingRootGuard.ts';

// The volume's figures, or staging_root_unavailable naming what stopped it.
export async function measureVolume(guard: StagingRootGuard): Promise<VolumeStats> {
  const root = await guard.open();
  try {
    return volumeOf(nativeAt.fstatvfs(root.fd));
  } catch (error) {
    throw new CleanupError('staging_root_unavailable', { why: `${guard.path} cannot be measured (${errorCode(error)})` });
  } finally {
    await root.closeAsync();
  }
}
