import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS } from '@sngp/core';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the exported models are taken from: $SNGP_DEMO_MODELS, else the main job's artifacts.
 * Each method's file is `<dir>/<method>.onnx`.
 */
export const DEFAULT_MODELS_DIR = resolve(here, '../../artifacts/models');
const modelsDir = resolve(process.env.SNGP_DEMO_MODELS ?? DEFAULT_MODELS_DIR);

/** onnxruntime-web's dist folder (its wasm binaries and their JS glue). */
function ortDist(): string {
  // The same version as @sngp/runtime's; `require` gives dist/ort.min.js.
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
}

/**
 * The ORT files the page loads at run time: onnxruntime-web's default build (JSEP: WebGPU and
 * wasm in one binary). The page points `wasmPaths` at ort/, so ORT imports this .mjs (also its
 * worker script) instead of re-running the app bundle as a thread worker.
 */
const ORT_FILES = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];

/**
 * Puts the models and onnxruntime-web's wasm files into the build (models/, ort/), so the page
 * loads everything from its own origin. A method without a model file is left out: its panel
 * then shows the load error.
 */
function sngpAssets(): Plugin {
  const models = () => METHODS.map((m) => ({ name: `models/${m}.onnx`, path: join(modelsDir, `${m}.onnx`) })).filter((f) => existsSync(f.path));
  const ort = () => ORT_FILES.map((f) => ({ name: `ort/${f}`, path: join(ortDist(), f) }));
  return {
    name: 'sngp-assets',
    buildStart() {
      const found = models();
      this.info(`models from ${modelsDir}: ${found.map((f) => f.name).join(', ') || 'none'}`);
      if (found.length < METHODS.length) this.warn(`missing models in ${modelsDir}: those panels will show an error`);
    },
    generateBundle(_options, bundle) {
      // Vite also emits the .wasm that ORT's bundle references for the no-wasmPaths case; the page
      // never uses it (28 MB), so drop it.
      for (const key of Object.keys(bundle)) if (/^assets\/ort-wasm-simd-threaded\.jsep-[\w-]+\.wasm$/.test(key)) delete bundle[key];
      for (const f of [...models(), ...ort()])
        this.emitFile({ type: 'asset', fileName: f.name, source: readFileSync(f.path) });
    },
    // `vite` dev server: the same files under the same URLs.
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        const f = [...models(), ...ort()].find((x) => `/${x.name}` === url);
        if (!f) return next();
        res.setHeader('Content-Type', f.name.endsWith('.wasm') ? 'application/wasm' : f.name.endsWith('.mjs') ? 'text/javascript' : 'application/octet-stream');
        res.end(readFileSync(f.path));
      });
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [sngpAssets()],
  server: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
  preview: { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024, outDir: process.env.SNGP_DEMO_OUT ?? 'dist', emptyOutDir: true },
});
