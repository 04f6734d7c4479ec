import { describe, expect, it } from 'vitest';
import { cachedHealth, FRESH_MS, MAX_AGE_MS } from '../../src/service/healthCache.ts';

// A cached health over a check whose answers the test gives, one call at a
// time, once its first check has answered `ready` at time 0.
async function checkedOnce() {
  const clock = { now: 0 };
  const calls: Array<(report: string) => void> = [];
  const health = cachedHealth(() => new Promise<string>((resolve) => calls.push(resolve)), () => clock.now);
  const first = health();
  calls[0]?.('ready');
  expect(await first).toBe('ready');
  return { clock, calls, health };
}

describe('health answered from its latest check', () => {
  it('waits for the first check, then answers from it while it is fresh', async () => {
    const { clock, calls, health } = await checkedOnce();
    clock.now = FRESH_MS - 1;
    expect(await health()).toBe('ready');
    expect(calls).toHaveLength(1);
  });

  it('answers the last report at once once it is older than a second, checking again in the background, once', async () => {
    const { clock, calls, health } = await checkedOnce();
    clock.now = FRESH_MS + 1;
    expect(await health()).toBe('ready');
    expect(await health()).toBe('ready');
    expect(calls).toHaveLength(2);
    calls[1]?.('not_ready');
    await Promise.resolve();
    await Promise.resolve();
    expect(await health()).toBe('not_ready');
  });

  it('never serves a report older than MAX_AGE_MS: the request waits for the check', async () => {
    const { clock, calls, health } = await checkedOnce();
    clock.now = MAX_AGE_MS + 1;
    let answered: string | null = null;
    const waiting = health().then((report) => (answered = report));
    await Promise.resolve();
    expect(answered).toBeNull();
    calls[1]?.('not_ready');
    await waiting;
    expect(answered).toBe('not_ready');
  });

  it('checks now when asked for a fresh report', async () => {
    const { calls, health } = await checkedOnce();
    const fresh = health({ fresh: true });
    expect(calls).toHaveLength(2);
    calls[1]?.('not_ready');
    expect(await fresh).toBe('not_ready');
  });
});
