import { defineConfig } from 'tsup';

export default defineConfig({
  // Named entries: dist/ stays flat (the bin shim imports dist/cli.js) while src/ has folders.
  entry: { index: 'src/index.ts', browser: 'src/browser.ts', cli: 'src/cli/cli.ts', bench: 'src/bench/bench.ts', 'bench-data': 'src/bench/bench-data.ts' },
  format: ['esm'],
  dts: { entry: ['src/index.ts', 'src/browser.ts'] },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // tfjs-core's gradient definitions exist only as its ESM sources (no Node bundle has them); bundle
  // them in. They register into tfjs's global registries, so the external tfjs-core sees them.
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
