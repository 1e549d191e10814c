import { defineConfig } from 'vite';

// Built in the test's global setup (outDir is set there).
export default defineConfig({
  root: import.meta.dirname,
  logLevel: 'warn',
  build: { emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4000 },
});
