/**
 * Inference benchmark (npm run bench): latency per method, provider and batch size, the
 * SNGP/deterministic and SNGP/ensemble ratios, and the runtime's overhead over a raw
 * onnxruntime `session.run` on the same model and input. Prints figures; asserts nothing.
 *
 *   node dist/bench.js [--models <dir with {method}.onnx>] [--providers cpu,webgpu,wasm] [--full]
 *
 * --full also runs N = 10,000 on webgpu (minutes on SwiftShader).
 *
 * Without --models it uses the main job's models (artifacts/models at the repository root; the
 * root script `npm run bench:runtime` produces them first, from turbo's cache when unchanged).
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS, ONNX_NAMES, Rng, SngpError, dropoutNoise } from '@sngp/core';
import * as ort from 'onnxruntime-node';
import { loadModel, type SngpModel } from './node.js';

const SIZES = [1, 100, 10_000];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function modelsDir(): string {
  const dir = resolve(arg('--models') ?? join(dirname(fileURLToPath(import.meta.url)), '../../../artifacts/models'));
  for (const m of METHODS)
    if (!existsSync(join(dir, `${m}.onnx`)))
      throw new SngpError(`${dir}/${m}.onnx is missing: run \`npm run bench:runtime\` from the repository root (it exports the main job's models first), or pass --models <dir>`);
  return dir;
}

/** Median ms of `fn`, after warm-up, within a time budget (at least `minReps` reps). */
async function timeIt(fn: () => Promise<unknown>, budgetMs = 1000, minReps = 3, maxReps = 200): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxReps && (times.length < minReps || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function features(n: number): Float32Array {
  const rng = new Rng(1);
  const x = new Float32Array(n * 2);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() - 0.5) * 6;
  return x;
}

const fmt = (ms: number | undefined): string =>
  (ms === undefined ? '-' : ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0)).padStart(9);

async function main(): Promise<void> {
  const dir = modelsDir();
  const providers = (arg('--providers') ?? 'cpu,webgpu,wasm').split(',');
  const cpu = cpus();
  console.log('\n# @sngp/runtime inference benchmark');
  console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'} x ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${osType()} ${release()}`);
  console.log(`node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}, onnxruntime-web (wasm) 1.30; webgpu in Node = SwiftShader (CPU Vulkan) unless a GPU is present`);
  console.log(`models: ${dir}`);
  console.log('median latency of model.predict(Float32Array) in ms; MC dropout T and ensemble M from the model cards\n');

  const lat: Record<string, Record<string, Record<number, number>>> = {};
  // Rows print as they are measured: WebGPU on SwiftShader takes a while.
  console.log(`${'provider'.padEnd(8)} ${'method'.padEnd(14)}${SIZES.map((n) => `N=${n}`.padStart(9)).join('')}`);
  for (const provider of providers) {
    lat[provider] = {};
    for (const m of METHODS) {
      let model: SngpModel;
      try {
        model = await loadModel(join(dir, `${m}.onnx`), { device: provider as 'cpu', strict: true });
      } catch (e) {
        console.log(`${provider}: unavailable (${(e as Error).message})`);
        break;
      }
      lat[provider][m] = {};
      for (const n of SIZES) {
        // WebGPU in Node on SwiftShader (no GPU) needs ~16 s for 10k deterministic rows: opt in.
        if (provider === 'webgpu' && n > 1000 && !process.argv.includes('--full')) continue;
        const x = features(n);
        lat[provider][m][n] = await timeIt(() => model.predict(x));
      }
      await model.dispose();
      console.log(`${provider.padEnd(8)} ${m.padEnd(14)}${SIZES.map((n) => fmt(lat[provider][m][n])).join('')}`);
    }
  }

  console.log('\nratios (latency of SNGP / other)');
  for (const p of Object.keys(lat)) {
    const l = lat[p];
    if (!l.sngp) continue;
    const r = (o: string) =>
      SIZES.map((n) => (l[o]?.[n] && l.sngp[n] ? (l.sngp[n] / l[o][n]).toFixed(2) : '-').padStart(9)).join('');
    console.log(`${p.padEnd(8)} ${'sngp/det'.padEnd(14)}${r('deterministic')}`);
    console.log(`${p.padEnd(8)} ${'sngp/ensemble'.padEnd(14)}${r('ensemble')}`);
  }

  // Overhead: same bytes, same input, same provider (cpu), runtime vs raw session.run. The two
  // are measured alternately so drift hits both equally.
  console.log('\nruntime overhead over raw session.run (cpu provider, same model and Float32Array input; target <= 5%)');
  console.log(`${'method'.padEnd(14)}${SIZES.map((n) => `N=${n}`.padStart(20)).join('')}`);
  for (const m of METHODS) {
    const bytes = new Uint8Array(readFileSync(join(dir, `${m}.onnx`)));
    const model = await loadModel(bytes, { device: 'cpu' });
    const raw = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    const card = model.info.card;
    const cells: string[] = [];
    for (const n of SIZES) {
      const x = features(n);
      const feeds: Record<string, ort.Tensor> = { [ONNX_NAMES.features]: new ort.Tensor('float32', x, [n, 2]) };
      if (m === 'mc-dropout') {
        const noise = dropoutNoise(card.numSamples!, card.dropoutNoiseShape!);
        feeds[ONNX_NAMES.dropoutNoise] = new ort.Tensor('float32', noise.data, noise.dims);
      }
      const rt: number[] = [];
      const rw: number[] = [];
      for (let round = 0; round < 5; round++) {
        rw.push(await timeIt(() => raw.run(feeds), 300, 5));
        rt.push(await timeIt(() => model.predict(x), 300, 5));
      }
      const med = (a: number[]) => a.sort((p, q) => p - q)[2];
      const overhead = (med(rt) / med(rw) - 1) * 100;
      cells.push(`${fmt(med(rt)).trim()}/${fmt(med(rw)).trim()} ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)}%`.padStart(20));
    }
    console.log(`${m.padEnd(14)}${cells.join('')}`);
    await model.dispose();
    await raw.release();
  }
  console.log('(cells: runtime ms / raw ms, overhead)');
}

main().catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
