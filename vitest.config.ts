import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    // Type tests (*.test-d.ts) run through tsc in the same run: an expectTypeOf
    // that no longer holds fails npm test, not only npm run typecheck.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: 'tsconfig.json' },
    // The JSON report is what CI counts (.ci/run); the default one is for people.
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    // Most tests wait on the disk and child processes, not the CPU.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 20_000,
  },
});
