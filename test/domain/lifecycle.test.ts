import { describe, expect, it } from 'vitest';
import { canTransition, LIFECYCLE_STATES, nextState } from '../../src/domain/lifecycle.ts';

describe('lifecycle', () => {
  it('orders the five states staging -> complete -> sync_queued -> sync_verified -> cleared', () => {
    expect(LIFECYCLE_STATES).toEqual(['staging', 'complete', 'sync_queued', 'sync_verified', 'cleared']);
  });

  it('allows exactly the one-step forward transitions', () => {
    for (const from of LIFECYCLE_STATES) {
      for (const to of LIFECYCLE_STATES) {
        const oneStep = LIFECYCLE_STATES.indexOf(to) === LIFECYCLE_STATES.indexOf(from) + 1;
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(oneStep);
      }
    }
  });

  it('treats cleared as terminal', () => {
    expect(nextState('cleared')).toBeNull();
    expect(nextState('sync_verified')).toBe('cleared');
  });
});
