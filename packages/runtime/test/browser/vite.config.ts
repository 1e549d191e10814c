import { defineConfig } from 'vite';

// Built in the test's global setup (outDir is set there).
export default defineConfig({
  root: import.meta.dirname,
  logLevel: 'warn',
  // @sngp/core's index imports csv-parse/sync, whose Node build calls Buffer at load time;
  // csv-parse ships a browser build (see the runtime README, "Bundling").
  resolve: { alias: { 'csv-parse/sync': 'csv-parse/browser/esm/sync' } },
  build: { emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4000 },
});
