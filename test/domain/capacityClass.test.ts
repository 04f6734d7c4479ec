import { describe, expect, it } from 'vitest';
import { capacityClassOf, totalsByClass } from '../../src/domain/capacityClass.ts';

describe('capacity classes of staged runs', () => {
  it('classes every state and decision', () => {
    expect(capacityClassOf({ current_state: 'sync_verified', clearable: true, reason: 'eligible' })).toBe('clearable');
    expect(capacityClassOf({ current_state: 'sync_verified', clearable: true, reason: 'manual_mode' })).toBe('clearable');
    expect(capacityClassOf({ current_state: 'sync_verified', clearable: true, reason: 'missing_verified_timestamp' })).toBe('clearable');
    expect(capacityClassOf({ current_state: 'sync_verified', clearable: true, reason: 'retain_window' })).toBe('retained');
    expect(capacityClassOf({ current_state: 'sync_verified', clearable: false, reason: 'unsynced_files' })).toBe('unverified');
    for (const state of ['staging', 'complete', 'sync_queued'] as const) {
      expect(capacityClassOf({ current_state: state, clearable: false, reason: 'not_sync_verified' })).toBe('unverified');
    }
    expect(capacityClassOf({ current_state: 'cleared', clearable: true, reason: 'clear_interrupted' })).toBe('interrupted');
    expect(capacityClassOf({ current_state: 'cleared', clearable: false, reason: 'survey_failed' })).toBe('interrupted');
  });

  it('sums bytes, files and runs per class, every class present', () => {
    const totals = totalsByClass([
      { current_state: 'sync_verified', clearable: true, reason: 'eligible', bytes: 10, files: 1 },
      { current_state: 'sync_verified', clearable: true, reason: 'eligible', bytes: 5, files: 2 },
      { current_state: 'staging', clearable: false, reason: 'not_sync_verified', bytes: 7, files: 3 },
    ]);
    expect(totals).toEqual({
      clearable: { bytes: 15, files: 3, runs: 2 },
      retained: { bytes: 0, files: 0, runs: 0 },
      unverified: { bytes: 7, files: 3, runs: 1 },
      interrupted: { bytes: 0, files: 0, runs: 0 },
    });
  });
});
