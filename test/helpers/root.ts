// Tests that need root (chattr +i, mount) run as root, as CI does (.ci/run
// in the container); run by another user they are skipped, saying why.
import { describe, it } from 'vitest';
import { skipUnless } from './skipUnless.ts';

export const IS_ROOT = process.getuid?.() === 0;
const WHY = 'needs root (chattr +i or mount); CI runs it as root';

export const itAsRoot = skipUnless(it, IS_ROOT, WHY);
export const describeAsRoot = skipUnless(describe, IS_ROOT, WHY);
