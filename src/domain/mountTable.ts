// Lines of /proc/self/mountinfo (proc(5)): which filesystem type a mount is,
// and whether the kernel's change notifications on it see every change.

// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": the mount
// id first, the type after the " - " separator.
export function filesystemTypeOf(mountinfo: string, mountId: number): string | null {
  for (const line of mountinfo.split('\n')) {
    if (line.slice(0, line.indexOf(' ')) !== String(mountId)) continue;
    const after = line.indexOf(' - ');
    return after === -1 ? null : (line.slice(after + 3).split(' ')[0] ?? null);
  }
  return null;
}

// Network and user-space filesystems: inotify sees only the changes made
// through this machine's own kernel, never another client's.
const REMOTE_TYPES = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', '9p', 'ceph', 'glusterfs', 'afs', 'lustre', 'gpfs', 'beegfs', 'ncpfs']);

export function notificationsMissOn(type: string): boolean {
  return REMOTE_TYPES.has(type) || type === 'fuse' || type.startsWith('fuse.');
}
