import { defineConfig } from 'tsup';

// Every @sngp package stays external (resolved at run time), so building the pipeline needs no
// other build and its turbo hash holds only its own sources: a change in eval does not retrain.
export default defineConfig({
  entry: ['src/train.ts', 'src/export.ts', 'src/report.ts', 'src/summary.ts', 'src/bench-real.ts', 'src/bench-conformal.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: [/^@sngp\//],
});
