import { defineConfig } from 'tsup';

// The main job's "models" stage, built on its own (pipeline-dist/) so that its turbo hash depends
// only on core, train and export: a runtime or eval change must not retrain the models.
export default defineConfig({
  entry: { models: 'src/pipeline/models.ts' },
  outDir: 'pipeline-dist',
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['@sngp/core'],
});
