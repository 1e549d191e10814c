import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One worker per core (vitest's default leaves one core out): eval often runs last in npm test,
    // alone, where a second worker halves its time.
    maxWorkers: '100%',
    testTimeout: 60_000,
  },
});
