import { describe, expect, it } from 'vitest';
import { fillEstimate, type VolumeSample } from '../../src/domain/fillRate.ts';

const now = new Date('2026-04-20T12:00:00Z');
const MiB = 1024 * 1024;

// A sample `hoursAgo` before now with `avail` bytes available.
const sample = (hoursAgo: number, avail: number): VolumeSample => ({
  at: new Date(now.getTime() - hoursAgo * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  avail_bytes: avail,
});

describe('fillEstimate (fill rate and time to full)', () => {
  it('takes the rate over the last 6 h and says when it would be full, with the window stated', () => {
    // 10 MiB an hour lost, steadily, every half hour for 6 h; 310 MiB left now.
    const samples = Array.from({ length: 13 }, (_, index) => sample(6 - index * 0.5, 370 * MiB - index * 5 * MiB));
    const estimate = fillEstimate(samples, now);
    expect(estimate).toEqual({
      window_hours: 6,
      samples: 13,
      bytes_per_hour: 10 * MiB,
      hours_to_full: 31,
      full_at: '2026-04-21T19:00:00Z',
      filling: true,
      message: "at the last 6 h's rate, full in 31 h",
    });
  });

  it('matches the least-squares slope of an uneven sequence, computed by hand', () => {
    // t (h): 0, 1, 2, 3 before now -> avail 1000, 880, 900, 700 (oldest first).
    // Times -3,-2,-1,0; mean -1.5; avail mean 870; slope = sum((t-mt)(a-ma)) / sum((t-mt)^2)
    // = ((-1.5)(130) + (-0.5)(10) + (0.5)(30) + (1.5)(-170)) / 5 = (-195 - 5 + 15 - 255) / 5 = -88 per hour.
    const estimate = fillEstimate([sample(3, 1000), sample(2, 880), sample(1, 900), sample(0, 700)], now);
    expect(estimate.bytes_per_hour).toBe(88);
    expect(estimate.hours_to_full).toBe(8); // 700 / 88 = 7.95
    expect(estimate.message).toBe("at the last 3 h's rate, full in 8 h");
  });

  it('ignores samples older than the window and in the future', () => {
    const estimate = fillEstimate(
      [sample(30, 0), sample(7, 1), sample(2, 300), sample(1, 200), sample(0, 100), sample(-1, 999_999)],
      now,
    );
    expect(estimate).toMatchObject({ samples: 3, window_hours: 2, bytes_per_hour: 100, hours_to_full: 1 });
  });

  it('says "not filling" when free space is steady or rising', () => {
    expect(fillEstimate([sample(2, 500), sample(1, 500), sample(0, 500)], now)).toMatchObject({
      filling: false,
      bytes_per_hour: 0,
      hours_to_full: null,
      full_at: null,
      message: "at the last 2 h's rate, not filling (free space is steady or rising)",
    });
    expect(fillEstimate([sample(2, 100), sample(1, 300), sample(0, 500)], now)).toMatchObject({
      filling: false,
      bytes_per_hour: -200,
    });
  });

  it('does not extrapolate from too few samples or too short a span', () => {
    for (const samples of [[], [sample(1, 5)], [sample(1, 9), sample(0, 5)], [sample(0.1, 9), sample(0.05, 7), sample(0, 5)]]) {
      const estimate = fillEstimate(samples, now);
      expect(estimate).toMatchObject({ filling: false, bytes_per_hour: null, hours_to_full: null, window_hours: 0 });
      expect(estimate.message).toMatch(/^not enough free-space samples yet \(\d in the last 6 h\)$/);
    }
  });
});
