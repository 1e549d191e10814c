import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/node.ts', 'src/browser.ts', 'src/bench.ts'],
  format: ['esm'],
  dts: { entry: ['src/node.ts', 'src/browser.ts'] },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // Keep the entries self-contained per platform (no chunk shared by the Node and browser builds
  // that could drag node: imports into a browser bundle).
  splitting: false,
});
