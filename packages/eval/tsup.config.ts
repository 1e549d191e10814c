import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts', 'src/calibrate-cli.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts'] },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // Native/huge deps stay external (resolved from node_modules at run time).
  external: ['@resvg/resvg-js', 'vega', 'vega-lite', 'onnxruntime-node', 'onnxruntime-web', '@sngp/runtime', '@sngp/core'],
});
