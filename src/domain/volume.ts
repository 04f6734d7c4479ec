// The volume that holds staging_root as fstatvfs reports it, and how full it
// is in df's terms: Use% = used / (used + available), where used = size -
// free and "available" is what an unprivileged user may still write (a
// filesystem's reserved blocks count as neither).
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

// Usage as a ratio 0..1 (df shows it as a percent, rounded up).
export function usageOf(volume: VolumeStats): number {
  const room = volume.used_bytes + volume.avail_bytes;
  return room > 0 ? volume.used_bytes / room : 0;
}

// Bytes to free for usage to come down to `ratio`: every byte freed moves
// from used to available, so used + available stays the same.
export function bytesAbove(volume: VolumeStats, ratio: number): number {
  const room = volume.used_bytes + volume.avail_bytes;
  return Math.max(0, Math.ceil(volume.used_bytes - ratio * room));
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
