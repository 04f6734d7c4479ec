// The error a promise is refused with; fails the test if it resolves.
import type { CleanupError } from '../../src/domain/errors.ts';

export async function refusalOf(promise: Promise<unknown>): Promise<CleanupError> {
  return promise.then(
    (value) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(value)}`);
    },
    (error: CleanupError) => error,
  );
}
