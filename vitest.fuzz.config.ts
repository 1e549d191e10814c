import { defineConfig } from 'vitest/config';

// The fuzz stage (`npm run test:fuzz`), shared by core, runtime and export (each runs it from its own
// folder): only fuzz/*.fuzz.test.ts, never the unit tests' set-up; `npm test` runs test/ only.
// Fuzz cases run in child processes their harness schedules itself, so one test file at a time.
export default defineConfig({
  test: {
    include: ['fuzz/**/*.fuzz.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
