import { describe, expect, it } from 'vitest';
import { parseIngestText } from '../../src/domain/ingestRecord.ts';
import type { IngestView } from '../../src/domain/ingestSchema.ts';
import { decide, type PolicySettings } from '../../src/domain/policy.ts';
import { ingestFor, readExample } from '../helpers/stagingTree.ts';

const scheduled: PolicySettings = { mode: 'scheduled', retainHours: 24, clockToleranceSeconds: 300 };
const manual: PolicySettings = { mode: 'manual', retainHours: 24, clockToleranceSeconds: 300 };
const verifiedAt = '2026-04-17T16:18:43Z';
const boundary = new Date('2026-04-18T16:18:43Z');

function view(spec: Parameters<typeof ingestFor>[1] = {}): IngestView {
  return parseIngestText(JSON.stringify(ingestFor('EQ/P/Runs/Run_1', { verifiedAt, ...spec }))).view;
}

describe('decide', () => {
  it('never makes a run auto-eligible in manual mode, however old, but lets an operator clear it', () => {
    const decision = decide(view(), manual, new Date('2030-01-01T00:00:00Z'));
    expect(decision).toMatchObject({ reason: 'manual_mode', clearable: true, auto_clear_eligible: false, eligible_at: null });
    expect(decision.verified_at).toBe(verifiedAt);
  });

  it('keeps a run inside the retain window and says when it becomes eligible', () => {
    const decision = decide(view(), scheduled, new Date(boundary.getTime() - 1000));
    expect(decision).toMatchObject({
      reason: 'retain_window',
      clearable: true,
      auto_clear_eligible: false,
      eligible_at: '2026-04-18T16:18:43Z',
    });
  });

  it('makes a run eligible exactly at the boundary', () => {
    expect(decide(view(), scheduled, boundary)).toMatchObject({ reason: 'eligible', auto_clear_eligible: true });
  });

  it('makes a run eligible after the boundary', () => {
    expect(decide(view(), scheduled, new Date('2026-05-01T00:00:00Z'))).toMatchObject({
      reason: 'eligible',
      clearable: true,
      auto_clear_eligible: true,
      verified_at: verifiedAt,
      eligible_at: '2026-04-18T16:18:43Z',
    });
  });

  it('honours retain_hours', () => {
    const settings = { ...scheduled, retainHours: 1 };
    expect(decide(view(), settings, new Date('2026-04-17T17:18:42Z')).reason).toBe('retain_window');
    expect(decide(view(), settings, new Date('2026-04-17T17:18:43Z')).reason).toBe('eligible');
  });

  it('converts an offset verification time to UTC before adding the window', () => {
    const decision = decide(view({ verifiedAt: '2026-04-17T18:18:43+02:00' }), scheduled, boundary);
    expect(decision).toMatchObject({ reason: 'eligible', verified_at: verifiedAt });
  });

  it.each([
    ['not a time'],
    ['garbage'],
    ['2026-02-30T00:00:00Z'],
    ['2026-04-17T24:00:00Z'],
  ])('refuses, even to an operator and in manual mode, a run whose sync_verified time %j cannot be parsed', (at) => {
    for (const settings of [scheduled, manual]) {
      expect(decide(view({ verifiedAt: at }), settings, boundary)).toMatchObject({
        reason: 'verified_time_unparsable',
        clearable: false,
        auto_clear_eligible: false,
        verified_at: null,
        eligible_at: null,
      });
    }
  });

  it('refuses, even to an operator and in manual mode, a run whose sync_verified entry has no time', () => {
    for (const settings of [scheduled, manual]) {
      expect(decide(view({ verifiedAt: null }), settings, boundary)).toMatchObject({
        reason: 'missing_verified_timestamp',
        clearable: false,
        auto_clear_eligible: false,
      });
    }
  });

  it('refuses an interrupted clear whose sync_verified time cannot be parsed: the deletion could not test its files', () => {
    expect(decide(view({ state: 'cleared', verifiedAt: 'garbage' }), scheduled, boundary)).toMatchObject({
      reason: 'verified_time_unparsable',
      clearable: false,
    });
  });

  it('refuses, even to an operator, a run labelled sync_verified whose history never reached it', () => {
    const record = ingestFor('EQ/P/Runs/Run_1', { state: 'sync_queued' });
    const mislabelled = { ...record, current_state: 'sync_verified' };
    const decision = decide(parseIngestText(JSON.stringify(mislabelled)).view, scheduled, boundary);
    expect(decision).toMatchObject({ reason: 'ingest_inconsistent', clearable: false, auto_clear_eligible: false });
    expect(decision.message).toContain('current_state is sync_verified but the latest history entry says sync_queued');
  });

  it('uses the latest sync_verified entry when there are several', () => {
    const record = ingestFor('EQ/P/Runs/Run_1', { verifiedAt });
    const history = record.history as Array<Record<string, unknown>>;
    history.push({ ...history.at(-1), at: '2026-04-19T00:00:00Z' });
    const decision = decide(parseIngestText(JSON.stringify(record)).view, scheduled, new Date('2026-04-19T12:00:00Z'));
    expect(decision).toMatchObject({ reason: 'retain_window', eligible_at: '2026-04-20T00:00:00Z' });
  });

  it('refuses when the latest sync_verified entry is unparsable even if an earlier one parses (the latest by position counts)', () => {
    const record = ingestFor('EQ/P/Runs/Run_1', { verifiedAt });
    const history = record.history as Array<Record<string, unknown>>;
    history.push({ ...history.at(-1), at: 'garbage' });
    expect(decide(parseIngestText(JSON.stringify(record)).view, scheduled, boundary)).toMatchObject({
      reason: 'verified_time_unparsable',
      clearable: false,
    });
  });

  it('says clear_interrupted for a listed cleared run: an operator may finish it, the sweep only in scheduled mode', () => {
    expect(decide(view({ state: 'cleared' }), scheduled, boundary)).toMatchObject({
      reason: 'clear_interrupted',
      clearable: true,
      auto_clear_eligible: true,
    });
    const manualDecision = decide(view({ state: 'cleared' }), manual, boundary);
    expect(manualDecision).toMatchObject({ reason: 'clear_interrupted', clearable: true, auto_clear_eligible: false });
    expect(manualDecision.message).toContain('finishes');
  });

  it.each(['staging', 'complete', 'sync_queued'] as const)('refuses a %s run as not_sync_verified', (state) => {
    const decision = decide(view({ state }), scheduled, boundary);
    expect(decision).toMatchObject({ reason: 'not_sync_verified', clearable: false, auto_clear_eligible: false });
    expect(decision.message).toContain(state);
  });

  it('puts a verification refusal before the mode and the window', () => {
    const refusal = { reason: 'unsynced_files' as const, message: '2 files never reached the NAS' };
    for (const settings of [manual, scheduled]) {
      expect(decide(view(), settings, boundary, refusal)).toMatchObject({
        reason: 'unsynced_files',
        message: refusal.message,
        clearable: false,
        auto_clear_eligible: false,
      });
    }
  });

  it('puts not_sync_verified before a verification refusal, and the refusal before clear_interrupted', () => {
    const refusal = { reason: 'nas_unreachable' as const, message: 'x' };
    expect(decide(view({ state: 'cleared' }), scheduled, boundary, refusal).reason).toBe('nas_unreachable');
    expect(decide(view({ state: 'complete' }), scheduled, boundary, refusal).reason).toBe('not_sync_verified');
  });

  it('decides the spec example as the Wizard would', () => {
    const example = parseIngestText(readExample('ingest.sync_verified.json')).view;
    expect(decide(example, scheduled, new Date('2026-04-18T16:18:42Z')).reason).toBe('retain_window');
    expect(decide(example, scheduled, new Date('2026-04-18T16:18:43Z')).reason).toBe('eligible');
  });
});
