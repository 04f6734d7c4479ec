import { describe, expect, it } from 'vitest';
import { isAtTarget, isPastHighWater, pressureOrder, type PressureCandidate } from '../../src/domain/pressurePlan.ts';

const settings = { highWaterPercent: 80, targetPercent: 70, minRetainHours: 2 };
const now = new Date('2026-04-20T12:00:00Z');

function run(name: string, verified: string | null, extra: Partial<PressureCandidate> = {}): PressureCandidate {
  return { run_path: `EQ/P/Runs/${name}`, current_state: 'sync_verified', verifiedAt: verified ? new Date(verified) : null, bytes: 1, refusal: null, ...extra };
}

describe('pressureOrder (which verified runs the pressure sweep may clear, in what order)', () => {
  it('orders by verification time, oldest first, then by path', () => {
    const { order, skipped } = pressureOrder(
      [run('C', '2026-04-19T00:00:00Z'), run('A', '2026-04-10T00:00:00Z'), run('B2', '2026-04-19T00:00:00Z'), run('B1', '2026-04-19T00:00:00Z')],
      settings,
      now,
    );
    expect(order.map((candidate) => candidate.run_path.split('/').at(-1))).toEqual(['A', 'B1', 'B2', 'C']);
    expect(skipped).toEqual([]);
  });

  it('never proposes a run verified less than min_retain_hours ago (the boundary itself may go), nor one verified in the future', () => {
    const { order, skipped } = pressureOrder(
      [run('edge', '2026-04-20T10:00:00Z'), run('young', '2026-04-20T10:00:01Z'), run('future', '2026-04-21T00:00:00Z')],
      settings,
      now,
    );
    expect(order.map((candidate) => candidate.run_path)).toEqual(['EQ/P/Runs/edge']);
    expect(skipped).toEqual([
      { run_path: 'EQ/P/Runs/young', reason: 'min_retain_window', message: expect.stringContaining('until 2026-04-20T12:00:01Z') },
      { run_path: 'EQ/P/Runs/future', reason: 'min_retain_window', message: expect.stringContaining('less than 2 h ago') },
    ]);
  });

  it('skips a run with no verification time and one the listing knows a clear refuses, with their reasons', () => {
    const { order, skipped } = pressureOrder(
      [run('no-time', null), run('late-file', '2026-04-01T00:00:00Z', { refusal: { reason: 'unsynced_files', message: 'one file never reached the NAS' } })],
      settings,
      now,
    );
    expect(order).toEqual([]);
    expect(skipped.map(({ run_path, reason }) => [run_path, reason])).toEqual([
      ['EQ/P/Runs/no-time', 'missing_verified_timestamp'],
      ['EQ/P/Runs/late-file', 'unsynced_files'],
    ]);
  });

  it('leaves runs that are not verified out altogether, not even as skipped', () => {
    const { order, skipped } = pressureOrder([run('queued', null, { current_state: 'sync_queued' })], settings, now);
    expect(order).toEqual([]);
    expect(skipped).toEqual([]);
  });

  it('takes an interrupted clear like a verified run', () => {
    const { order, skipped } = pressureOrder([run('cut', '2026-04-01T00:00:00Z', { current_state: 'cleared' })], settings, now);
    expect(order.map((candidate) => candidate.run_path)).toEqual(['EQ/P/Runs/cut']);
    expect(skipped).toEqual([]);
  });

  it('is past the high-water mark strictly above it, and at the target at or below it', () => {
    expect(isPastHighWater(0.8, settings)).toBe(false);
    expect(isPastHighWater(0.8001, settings)).toBe(true);
    expect(isAtTarget(0.7, settings)).toBe(true);
    expect(isAtTarget(0.7001, settings)).toBe(false);
  });
});
