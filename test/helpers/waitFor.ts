// Polls a condition until it holds, for states that announce no event.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}
