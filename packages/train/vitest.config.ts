import { defineConfig } from 'vitest/config';

// Tests run the built CLI (dist/): build first (turbo's test task depends on build).
// One worker per core (vitest's default leaves one core out, which the package that finishes last in
// npm test leaves idle); each file has its own temporary folder.
// Files share their worker process (isolate: false): no test mocks modules or changes globals,
// and a fresh process per file re-imports the modules each time (about 10 CPU-s here).
export default defineConfig({
  test: { maxWorkers: '100%', isolate: false, testTimeout: 120_000, hookTimeout: 600_000 },
});
