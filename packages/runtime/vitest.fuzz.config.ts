import { defineConfig } from 'vitest/config';

// The fuzz stage (`npm run test:fuzz`): only fuzz/*.fuzz.test.ts, without the unit tests' global setup
// (vitest.config.ts includes test/ only, so `npm test` never runs these).
// Fuzz cases run in child processes their harness schedules itself, so one test file at a time.
export default defineConfig({
  test: {
    include: ['fuzz/**/*.fuzz.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
