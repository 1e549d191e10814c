import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The machine has 2 cores shared with training runs: one test file at a time.
    fileParallelism: false,
    testTimeout: 60_000,
  },
});
