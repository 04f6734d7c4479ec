import { describe, expect, it } from 'vitest';
import { parseIngestText } from '../../src/domain/ingestRecord.ts';
import type { IngestView } from '../../src/domain/ingestSchema.ts';
import { decide, type PolicySettings } from '../../src/domain/policy.ts';
import { distrustError, recordRefusal } from '../../src/domain/recordTrust.ts';
import { ingestFor, type RunSpec } from '../helpers/stagingTree.ts';

const NOW = new Date('2026-04-20T12:00:00Z');
const TOLERANCE = 300;
const manual: PolicySettings = { mode: 'manual', retainHours: 24, clockToleranceSeconds: TOLERANCE };

type Entry = Record<string, unknown>;

function viewOf(spec: RunSpec = {}, edit: (record: { current_state: unknown; history: Entry[] }) => void = () => {}): IngestView {
  const record = ingestFor('EQ/P/Runs/Run_1', spec) as { current_state: unknown; history: Entry[] };
  edit(record);
  return parseIngestText(JSON.stringify(record)).view;
}

describe('recordRefusal: a record that cannot be believed', () => {
  it('trusts a consistent sync_verified record verified in the past', () => {
    expect(recordRefusal(viewOf(), NOW, TOLERANCE)).toBeNull();
  });

  it('trusts a consistent interrupted clear (cleared after sync_verified)', () => {
    expect(recordRefusal(viewOf({ state: 'cleared' }), NOW, TOLERANCE)).toBeNull();
  });

  it('refuses a verification time later than now plus the tolerance, naming both times', () => {
    const refusal = recordRefusal(viewOf({ verifiedAt: '2099-01-01T00:00:00Z' }), NOW, TOLERANCE);
    expect(refusal).toEqual({
      reason: 'verified_in_future',
      verifiedAt: '2099-01-01T00:00:00Z',
      now: '2026-04-20T12:00:00Z',
      toleranceSeconds: TOLERANCE,
    });
    const error = distrustError(refusal as Extract<typeof refusal, { reason: 'verified_in_future' }>);
    expect(error.code).toBe('verified_in_future');
    expect(error.message).toContain('2099-01-01T00:00:00Z');
    expect(error.message).toContain('2026-04-20T12:00:00Z');
    expect(error.details).toEqual({ verified_at: '2099-01-01T00:00:00Z', service_time: '2026-04-20T12:00:00Z', tolerance_seconds: 300 });
  });

  it('accepts a verification time ahead of the clock by exactly the tolerance, and refuses one second more', () => {
    expect(recordRefusal(viewOf({ verifiedAt: '2026-04-20T12:05:00Z' }), NOW, TOLERANCE)).toBeNull();
    expect(recordRefusal(viewOf({ verifiedAt: '2026-04-20T12:05:01Z' }), NOW, TOLERANCE)?.reason).toBe('verified_in_future');
  });

  it('judges a verification time with an offset in UTC', () => {
    // 13:00+02:00 is 11:00Z: in the past.
    expect(recordRefusal(viewOf({ verifiedAt: '2026-04-20T13:00:00+02:00' }), NOW, TOLERANCE)).toBeNull();
  });

  it('refuses an interrupted clear whose verification time is in the future', () => {
    expect(recordRefusal(viewOf({ state: 'cleared', verifiedAt: '2030-01-01T00:00:00Z' }), NOW, TOLERANCE)?.reason).toBe(
      'verified_in_future',
    );
  });

  it('refuses current_state sync_verified when the latest history entry re-opened the run, naming both states', () => {
    const view = viewOf({}, (record) => record.history.push({ state: 'staging', at: '2026-04-19T00:00:00Z', host: 'labpc-04' }));
    const refusal = recordRefusal(view, NOW, TOLERANCE);
    expect(refusal).toMatchObject({ reason: 'ingest_inconsistent', currentState: 'sync_verified', latestState: 'staging' });
    const error = distrustError(refusal as Extract<typeof refusal, { reason: 'ingest_inconsistent' }>);
    expect(error.message).toContain('current_state is sync_verified but the latest history entry says staging');
    expect(error.details).toEqual({ current_state: 'sync_verified', latest_state: 'staging' });
  });

  it('refuses a record whose history is empty', () => {
    const refusal = recordRefusal(viewOf({}, (record) => record.history.splice(0)), NOW, TOLERANCE);
    expect(refusal).toMatchObject({ reason: 'ingest_inconsistent', latestState: null });
  });

  it('refuses a cleared record re-opened between its verification and its clear', () => {
    const view = viewOf({ state: 'cleared' }, (record) =>
      record.history.splice(-1, 0, { state: 'complete', at: '2026-04-18T00:00:00Z', host: 'labpc-04' }),
    );
    expect(recordRefusal(view, NOW, TOLERANCE)).toMatchObject({ reason: 'ingest_inconsistent', problem: expect.stringContaining('re-opened') });
  });

  it('refuses a cleared record with no sync_verified entry at all', () => {
    const view = viewOf({ state: 'sync_queued' }, (record) => {
      record.current_state = 'cleared';
      record.history.push({ state: 'cleared', at: '2026-04-19T00:00:00Z', host: 'x' });
    });
    expect(recordRefusal(view, NOW, TOLERANCE)).toMatchObject({ reason: 'ingest_inconsistent', problem: expect.stringContaining('no history entry says sync_verified') });
  });

  it('calls a consistent earlier state not_sync_verified', () => {
    expect(recordRefusal(viewOf({ state: 'complete' }), NOW, TOLERANCE)).toEqual({ reason: 'not_sync_verified', state: 'complete' });
  });

  it('calls an earlier state its history contradicts ingest_inconsistent', () => {
    const relabelled = viewOf({}, (record) => {
      record.current_state = 'staging';
    });
    expect(recordRefusal(relabelled, NOW, TOLERANCE)?.reason).toBe('ingest_inconsistent');
  });

  it('trusts a run verified again after it was re-opened (the latest verification counts)', () => {
    const view = viewOf({}, (record) => {
      record.history.push({ state: 'staging', at: '2026-04-18T00:00:00Z', host: 'x' });
      record.history.push({ state: 'sync_verified', at: '2026-04-19T00:00:00Z', host: 'x' });
    });
    expect(recordRefusal(view, NOW, TOLERANCE)).toBeNull();
  });
});

describe('decide ranks the record refusals', () => {
  it('refuses a future verification to an operator too, in either mode, with no eligible_at', () => {
    for (const mode of ['manual', 'scheduled'] as const) {
      const decision = decide(viewOf({ verifiedAt: '2099-01-01T00:00:00Z' }), { ...manual, mode }, NOW);
      expect(decision).toMatchObject({ reason: 'verified_in_future', clearable: false, auto_clear_eligible: false, eligible_at: null });
    }
  });

  it('puts ingest_inconsistent before not_sync_verified, and verified_in_future before the pre-clear refusals', () => {
    const relabelled = viewOf({}, (record) => {
      record.current_state = 'complete';
    });
    expect(decide(relabelled, manual, NOW).reason).toBe('ingest_inconsistent');
    const refusal = { reason: 'unsynced_files' as const, message: 'late files' };
    expect(decide(viewOf({ verifiedAt: '2099-01-01T00:00:00Z' }), manual, NOW, refusal).reason).toBe('verified_in_future');
  });
});
