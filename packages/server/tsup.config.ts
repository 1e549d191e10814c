import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts', 'src/bench.ts', 'src/load-child.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts'] },
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // autocannon is a dev dependency of the bench, never bundled.
  external: ['autocannon'],
});
