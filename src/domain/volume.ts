// The volume that holds staging_root as fstatvfs reports it, and how full it
// is: 1 - available / size, where "available" is what an unprivileged user
// (the instruments, this service) may still write. Reserved blocks, and
// whatever else the volume keeps from such a user, count as used: the same
// figure the dashboard and the alerts compute from the two gauges.
export interface VolumeStats {
  size_bytes: number;
  free_bytes: number;
  avail_bytes: number;
  used_bytes: number;
  total_inodes: number;
  free_inodes: number;
}

// From fstatvfs's [f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree].
export function volumeOf(fields: ArrayLike<number>): VolumeStats {
  const [frsize = 0, blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0] = Array.from(fields);
  return {
    size_bytes: blocks * frsize,
    free_bytes: bfree * frsize,
    avail_bytes: bavail * frsize,
    used_bytes: (blocks - bfree) * frsize,
    total_inodes: files,
    free_inodes: ffree,
  };
}

// Usage as a ratio 0..1.
export function usageOf(volume: VolumeStats): number {
  return volume.size_bytes > 0 ? Math.min(1, Math.max(0, 1 - volume.avail_bytes / volume.size_bytes)) : 0;
}

// Bytes to free for usage to come down to `ratio`: every byte freed becomes
// available, and the size stays the same.
export function bytesAbove(volume: VolumeStats, ratio: number): number {
  return Math.max(0, Math.ceil(volume.size_bytes - volume.avail_bytes - ratio * volume.size_bytes));
}

// The volume once `bytes` more are freed (what a dry run of clears expects).
export function afterFreeing(volume: VolumeStats, bytes: number): VolumeStats {
  return {
    ...volume,
    used_bytes: volume.used_bytes - bytes,
    free_bytes: volume.free_bytes + bytes,
    avail_bytes: volume.avail_bytes + bytes,
  };
}

// A usage ratio as the percent a person reads (two decimals).
export const percentOf = (ratio: number): number => Math.round(ratio * 10_000) / 100;
