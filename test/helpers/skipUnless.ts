// A describe or it that runs when a condition holds and is otherwise
// reported as skipped, with the reason in its name (never silently passed).
import { describe, it } from 'vitest';

type Block = typeof describe | typeof it;

export function skipUnless<T extends Block>(block: T, condition: boolean, why: string): T {
  if (condition) return block;
  const skipped = (name: string, ...rest: unknown[]): void =>
    (block.skip as (...args: unknown[]) => void)(`${name} [skipped: ${why}]`, ...rest);
  return Object.assign(skipped, block) as T;
}
