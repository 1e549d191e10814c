import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/browser.ts', 'src/cli.ts', 'src/bench.ts', 'src/bench-data.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/browser.ts'] },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // tfjs-core's gradient definitions exist only as its ESM sources (no Node bundle has them); bundle
  // them in. They register into tfjs's global registries, so the external tfjs-core sees them.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
