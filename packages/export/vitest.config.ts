import { defineConfig } from 'vitest/config';

// Tests spawn the CLIs and run onnxruntime: generous timeouts, as npm test runs two packages at a
// time on a small machine (vitest's 5 s default timed out under that load).
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 300_000 },
});
