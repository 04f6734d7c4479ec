// decisionHoldsUntil lets the listing keep a decision until it may change:
// for any run, settings and two moments, decide() answers the same at both
// whenever the later one is before the time it gave for the earlier one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIngestText } from '../../src/domain/ingestRecord.ts';
import { decide, decisionHoldsUntil, type PolicySettings } from '../../src/domain/policy.ts';
import { formatTimestamp } from '../../src/domain/timestamps.ts';
import { ingestFor } from '../helpers/stagingTree.ts';

const HOUR_MS = 3_600_000;
const BASE = Date.parse('2026-04-17T16:00:00Z');
const STATES = ['staging', 'sync_queued', 'sync_verified', 'cleared'] as const;

const viewOf = (state: (typeof STATES)[number], verifiedAt: string | null) =>
  parseIngestText(JSON.stringify(ingestFor('EQ/P/Runs/Run_1', { state, verifiedAt }))).view;

describe('decisionHoldsUntil', () => {
  it('gives a time before which decide() answers as it did, for any state, mode, window and pair of moments', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATES),
        fc.option(fc.integer({ min: -100 * HOUR_MS, max: 100 * HOUR_MS }), { nil: null }),
        fc.constantFrom<PolicySettings['mode']>('manual', 'scheduled'),
        fc.integer({ min: 0, max: 72 }),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: -200 * HOUR_MS, max: 200 * HOUR_MS }),
        fc.integer({ min: 0, max: 200 * HOUR_MS }),
        (state, verifiedOffset, mode, retainHours, clockToleranceSeconds, nowOffset, later) => {
          const settings: PolicySettings = { mode, retainHours, clockToleranceSeconds };
          const view = viewOf(state, verifiedOffset === null ? null : formatTimestamp(new Date(BASE + verifiedOffset)));
          const now = new Date(BASE + nowOffset);
          const until = decisionHoldsUntil(view, settings, now);
          const then = new Date(now.getTime() + later);
          if (then.getTime() < until) expect(decide(view, settings, then)).toEqual(decide(view, settings, now));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('ends the hold at the end of the retain window, where the run becomes eligible', () => {
    const view = viewOf('sync_verified', '2026-04-17T16:00:00Z');
    const settings: PolicySettings = { mode: 'scheduled', retainHours: 24, clockToleranceSeconds: 300 };
    const end = Date.parse('2026-04-18T16:00:00Z');
    expect(decisionHoldsUntil(view, settings, new Date(end - 1))).toBe(end);
    expect(decide(view, settings, new Date(end)).reason).toBe('eligible');
    expect(decisionHoldsUntil(view, settings, new Date(end))).toBe(Number.POSITIVE_INFINITY);
  });

  it('holds nothing for a verification ahead of the clock, whose message names the moment it was judged at', () => {
    const view = viewOf('sync_verified', '2026-04-17T18:00:00Z');
    const settings: PolicySettings = { mode: 'manual', retainHours: 24, clockToleranceSeconds: 300 };
    const now = new Date('2026-04-17T16:00:00Z');
    expect(decide(view, settings, now).reason).toBe('verified_in_future');
    expect(decisionHoldsUntil(view, settings, now)).toBe(now.getTime());
  });
});
