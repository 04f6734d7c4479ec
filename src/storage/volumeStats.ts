// The volume under staging_root, measured on the root's own descriptor
// (fstatvfs, native/at.c): the folder the service walks and deletes in,
// whatever its path points to by then, and f_frsize-based figures as df
// shows them (Node's fs.statfs takes a path and reports f_bsize).
import { CleanupError } from '../domain/errors.ts';
import { volumeOf, type VolumeStats } from '../domain/volume.ts';
import { DirHandle, errorCode } from './dirHandle.ts';
import { nativeAt } from './nativeAt.ts';

// The volume's figures, or staging_root_unavailable naming what stopped it.
export async function measureVolume(stagingRoot: string): Promise<VolumeStats> {
  try {
    const root = await DirHandle.openTrustedAsync(stagingRoot);
    try {
      return volumeOf(nativeAt.fstatvfs(root.fd));
    } finally {
      await root.closeAsync();
    }
  } catch (error) {
    throw new CleanupError('staging_root_unavailable', { why: `${stagingRoot} cannot be measured (${errorCode(error)})` });
  }
}
