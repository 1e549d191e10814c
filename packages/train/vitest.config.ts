import { defineConfig } from 'vitest/config';

// Tests run the built CLI (dist/): build first (turbo's test task depends on build).
// One file at a time: the machine is small and shared.
export default defineConfig({
  test: { fileParallelism: false, testTimeout: 120_000, hookTimeout: 600_000 },
});
