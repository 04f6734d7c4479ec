// Tests that need root (chattr +i, mount) run as root, as CI does (.ci/run
// in the container); run by another user they are skipped, saying why.
import { describe, it } from 'vitest';

const IS_ROOT = process.getuid?.() === 0;
const WHY = 'skipped: needs root (chattr +i or mount); CI runs it as root';

export const itAsRoot: typeof it = (IS_ROOT ? it : Object.assign(
  (name: string, ...rest: unknown[]) => (it.skip as (...args: unknown[]) => void)(`${name} [${WHY}]`, ...rest),
  it,
)) as typeof it;

export const describeAsRoot: typeof describe = (IS_ROOT ? describe : Object.assign(
  (name: string, ...rest: unknown[]) => (describe.skip as (...args: unknown[]) => void)(`${name} [${WHY}]`, ...rest),
  describe,
)) as typeof describe;
