// The volume under staging_root, measured on the root's own descriptor
// (fstatvfs, native/at.c): the folder the service walks and deletes in,
// whatever its path points to by then, and f_frsize-based figures as df
// shows them (Node's fs.statfs takes a path and reports f_bsize).
import { volumeOf, type VolumeStats } from '../domain/volume.ts';
import { DirHandle } from './dirHandle.ts';
import { nativeAt } from './nativeAt.ts';

export async function measureVolume(stagingRoot: string): Promise<VolumeStats> {
  const root = await DirHandle.openTrustedAsync(stagingRoot);
  try {
    return volumeOf(nativeAt.fstatvfs(root.fd));
  } finally {
    await root.closeAsync();
  }
}
