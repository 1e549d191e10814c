import { defineConfig } from 'vitest/config';

// Separate from vite.config.ts so tests do not load the page's asset plugin.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], maxWorkers: '100%', testTimeout: 60_000, hookTimeout: 60_000 },
});
