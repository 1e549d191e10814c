import { defineConfig } from 'vitest/config';

// Tests spawn the CLIs and run onnxruntime: generous timeouts, as npm test runs two packages at a
// time on a small machine (vitest's 5 s default timed out under that load). One worker per core:
// vitest's default leaves one core out, which the last package to finish in npm test leaves idle.
export default defineConfig({
  test: { maxWorkers: '100%', testTimeout: 60_000, hookTimeout: 300_000 },
});
