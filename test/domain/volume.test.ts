import { describe, expect, it } from 'vitest';
import { afterFreeing, bytesAbove, percentOf, usageOf, volumeOf } from '../../src/domain/volume.ts';

describe('the staging volume, and how full it is', () => {
  // 1000 blocks of 4 KiB, 300 free of which 250 available to users, 50 inodes of 80 free.
  const volume = volumeOf(new Float64Array([4096, 1000, 300, 250, 80, 50]));

  it('reads fstatvfs fields by the fragment size', () => {
    expect(volume).toEqual({
      size_bytes: 4_096_000,
      free_bytes: 1_228_800,
      avail_bytes: 1_024_000,
      used_bytes: 2_867_200,
      total_inodes: 80,
      free_inodes: 50,
    });
  });

  it('gives usage as 1 - available / size: the 50 reserved blocks count as used, as the dashboard computes it', () => {
    // 1 - 250 / 1000, where used / (used + available) would say 700 / 950 = 73.68 %.
    expect(usageOf(volume)).toBeCloseTo(0.75, 12);
    expect(percentOf(usageOf(volume))).toBe(75);
    expect(usageOf(volumeOf([4096, 0, 0, 0, 0, 0]))).toBe(0);
  });

  it('says how many bytes bring usage down to a target, and what freeing them leaves', () => {
    const needed = bytesAbove(volume, 0.5);
    // 750 blocks of 1000 not available; at 50 %, 500: 250 blocks to free.
    expect(needed).toBe(250 * 4096);
    expect(usageOf(afterFreeing(volume, needed))).toBeCloseTo(0.5, 12);
    expect(bytesAbove(volume, 0.9)).toBe(0);
  });
});
