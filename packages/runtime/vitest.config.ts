import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // One worker per core (vitest's default leaves one core out): it often runs last in npm test.
    maxWorkers: '100%',
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
