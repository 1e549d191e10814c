import { defineConfig } from 'vitest/config';

// Tests run the built CLI (dist/): build first (turbo's test task depends on build).
// One worker per core (vitest's default leaves one core out, which the package that finishes last in
// npm test leaves idle); each file has its own temporary folder.
export default defineConfig({
  test: { maxWorkers: '100%', testTimeout: 120_000, hookTimeout: 600_000 },
});
