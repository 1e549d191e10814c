import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One worker per core (vitest's default leaves one core out): eval often runs last in npm test,
    // alone, where a second worker halves its time.
    maxWorkers: '100%',
    // Files share their worker process (isolate: false): no test mocks modules or changes globals,
    // and a fresh process per file re-imports the modules each time (about 10 CPU-s here).
    isolate: false,
    testTimeout: 60_000,
  },
});
