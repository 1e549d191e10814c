import { defineConfig } from 'vitest/config';

// Tests spawn the CLIs and run onnxruntime: generous timeouts, as npm test runs two packages at a
// time on a small machine (vitest's 5 s default timed out under that load). One worker per core:
// vitest's default leaves one core out, which the last package to finish in npm test leaves idle.
// Files share their worker process (isolate: false): no test mocks modules or changes globals,
// and a fresh process per file re-imports the modules each time (about 7 CPU-s here).
export default defineConfig({
  test: { maxWorkers: '100%', isolate: false, testTimeout: 60_000, hookTimeout: 300_000 },
});
