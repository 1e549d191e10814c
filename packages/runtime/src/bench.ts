/**
 * Inference benchmark (npm run bench): latency per method, provider and batch size, the
 * SNGP/deterministic and SNGP/ensemble ratios, the SNGP posterior form (rank, proven and measured
 * variance error, from the model card), and the runtime's overhead over a raw onnxruntime
 * `session.run` on the same model and input. Prints figures; asserts nothing.
 *
 *   node dist/bench.js [--models <dir with {method}.onnx>] [--providers cpu,wasm,webgpu]
 *                      [--sizes 1,100,10000,100000] [--compare <name>=<model.onnx> ...] [--full]
 *
 * Without --models it uses the main job's models (artifacts/models at the repository root; the
 * root script `npm run bench:runtime` produces them first, from turbo's cache when unchanged).
 * --compare adds more models (e.g. an SNGP exported with `--posterior full`) as extra rows; an SNGP
 * one also gets its variance compared with the main SNGP's on the N = 10,000 input. WebGPU in Node
 * without a GPU runs on SwiftShader: N > 1,000 there only with --full (minutes).
 *
 * Methods are timed in interleaved rounds (every model once per round, median of rounds) so that
 * drift on a shared machine hits every method alike and the ratios stay honest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS, ONNX_NAMES, Rng, SngpError, dropoutNoise } from '@sngp/core';
import * as ort from 'onnxruntime-node';
import { loadModel, type SngpModel } from './node.js';

const DEFAULT_SIZES = [1, 100, 10_000, 100_000];
/** Sizes the runtime-overhead section measures (100k adds little but minutes). */
const OVERHEAD_SIZES = [1, 100, 10_000];
/** The acceptance target of issue #13 on the CPU provider: SNGP <= 4x deterministic and <= 0.4x the ensemble. */
const TARGET = { sizes: [100, 10_000], vsDeterministic: 4, vsEnsemble: 0.4 };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function args(name: string): string[] {
  return process.argv.flatMap((a, i) => (a === name && process.argv[i + 1] !== undefined ? [process.argv[i + 1]] : []));
}

function modelsDir(): string {
  const dir = resolve(arg('--models') ?? join(dirname(fileURLToPath(import.meta.url)), '../../../artifacts/models'));
  for (const m of METHODS)
    if (!existsSync(join(dir, `${m}.onnx`)))
      throw new SngpError(`${dir}/${m}.onnx is missing: run \`npm run bench:runtime\` from the repository root (it exports the main job's models first), or pass --models <dir>`);
  return dir;
}

/** One timed burst: median ms of `fn` over up to `budgetMs` (at least `minReps` calls). */
async function burst(fn: () => Promise<unknown>, budgetMs: number, minReps = 3, maxReps = 100): Promise<number> {
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxReps && (times.length < minReps || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function features(n: number): Float32Array {
  const rng = new Rng(1);
  const x = new Float32Array(n * 2);
  for (let i = 0; i < x.length; i++) x[i] = (rng.uniform() - 0.5) * 6;
  return x;
}

const fmt = (ms: number | undefined): string =>
  (ms === undefined ? '-' : ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0)).padStart(9);

interface Entry {
  /** Row label: a method, or a --compare name. */
  name: string;
  file: string;
  /** The SNGP model this one's variance is compared with (--compare of an SNGP). */
  compareVariance: boolean;
}

/**
 * Latency of every entry on one provider at each size, in interleaved rounds. A call that takes
 * over a second gets fewer repetitions (1 warm-up, then one call per round).
 */
async function measureProvider(provider: string, entries: Entry[], sizes: number[]): Promise<Record<string, Record<number, number>> | null> {
  const models: Record<string, SngpModel> = {};
  try {
    for (const e of entries) models[e.name] = await loadModel(e.file, { device: provider as 'cpu', strict: true });
  } catch (err) {
    console.log(`${provider}: unavailable (${(err as Error).message})`);
    for (const m of Object.values(models)) await m.dispose();
    return null;
  }
  const lat: Record<string, Record<number, number>> = Object.fromEntries(entries.map((e) => [e.name, {}]));
  for (const n of sizes) {
    // WebGPU in Node on SwiftShader (no GPU) needs ~16 s for 10k deterministic rows: opt in.
    if (provider === 'webgpu' && n > 1000 && !process.argv.includes('--full')) continue;
    const x = features(n);
    const first: Record<string, number> = {};
    for (const e of entries) {
      const t0 = performance.now();
      await models[e.name].predict(x); // warm-up, and how slow one call is
      first[e.name] = performance.now() - t0;
    }
    const slow = Math.max(...Object.values(first)) > 1000;
    const rounds = slow ? 3 : 5;
    const perRound: Record<string, number[]> = Object.fromEntries(entries.map((e) => [e.name, []]));
    for (let r = 0; r < rounds; r++)
      for (const e of entries) perRound[e.name].push(await burst(() => models[e.name].predict(x), slow ? 0 : 200, slow ? 1 : 3));
    for (const e of entries) lat[e.name][n] = median(perRound[e.name]);
    console.log(`${provider.padEnd(8)} N=${String(n).padEnd(7)} ` + entries.map((e) => `${e.name} ${fmt(lat[e.name][n]).trim()}`).join(', '));
  }
  for (const m of Object.values(models)) await m.dispose();
  return lat;
}

async function posteriorSummary(entries: Entry[]): Promise<void> {
  console.log('\nSNGP posterior (model card; errors are relative, against the full float64 posterior)');
  const main = await loadModel(entries.find((e) => e.name === 'sngp')!.file, { device: 'cpu' });
  const x = features(10_000);
  const mainVar = (await main.runGraph({ [ONNX_NAMES.features]: { data: x, dims: [10_000, 2] } }))[ONNX_NAMES.variance].data;
  for (const e of entries) {
    const model = e.name === 'sngp' ? main : await loadModel(e.file, { device: 'cpu' });
    const card = model.info.card;
    if (card.method === 'sngp') {
      const p = card.posterior;
      const form = !p
        ? 'full (model predates the posterior keys)'
        : p.kind === 'full'
          ? `full (M x M covariance, rank ${p.rank}: exact)`
          : `low-rank, rank ${p.rank}, proven max error ${p.relativeErrorBound.toExponential(2)}, measured at export ${p.measuredRelativeError.toExponential(2)} (float64, verification points)`;
      let diff = '';
      if (e.compareVariance) {
        const v = (await model.runGraph({ [ONNX_NAMES.features]: { data: x, dims: [10_000, 2] } }))[ONNX_NAMES.variance].data;
        let rel = 0;
        for (let i = 0; i < v.length; i++) rel = Math.max(rel, Math.abs(mainVar[i] - v[i]) / Math.max(Math.abs(v[i]), 1e-12));
        diff = `; sngp's variance vs this one on the 10,000 bench rows (float32 both): max relative diff ${rel.toExponential(2)}`;
      }
      console.log(`  ${e.name.padEnd(14)} ${form}${diff}`);
    }
    if (model !== main) await model.dispose();
  }
  await main.dispose();
}

async function main(): Promise<void> {
  const dir = modelsDir();
  const providers = (arg('--providers') ?? 'cpu,wasm,webgpu').split(',');
  const sizes = (arg('--sizes') ?? DEFAULT_SIZES.join(',')).split(',').map(Number);
  if (sizes.some((n) => !(Number.isInteger(n) && n >= 1))) throw new SngpError(`--sizes: expected positive integers, got ${arg('--sizes')}`);
  const entries: Entry[] = METHODS.map((m) => ({ name: m, file: join(dir, `${m}.onnx`), compareVariance: false }));
  for (const c of args('--compare')) {
    const eq = c.indexOf('=');
    if (eq <= 0 || !existsSync(c.slice(eq + 1))) throw new SngpError(`--compare: expected <name>=<existing model.onnx>, got "${c}"`);
    entries.push({ name: c.slice(0, eq), file: resolve(c.slice(eq + 1)), compareVariance: true });
  }
  const cpu = cpus();
  console.log('\n# @sngp/runtime inference benchmark');
  console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'} x ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${osType()} ${release()}; load average at start ${loadavg()[0].toFixed(2)}`);
  console.log(`node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}, onnxruntime-web (wasm) 1.30; webgpu in Node = SwiftShader (CPU Vulkan) unless a GPU is present`);
  console.log(`models: ${dir}${entries.length > METHODS.length ? ` (+ ${entries.slice(METHODS.length).map((e) => `${e.name}: ${e.file}`).join(', ')})` : ''}`);
  console.log('median latency of model.predict(Float32Array) in ms, methods interleaved in rounds; MC dropout T and ensemble M from the model cards\n');

  const lat: Record<string, Record<string, Record<number, number>>> = {};
  for (const provider of providers) {
    const l = await measureProvider(provider, entries, sizes);
    if (l) lat[provider] = l;
  }

  console.log(`\n${'provider'.padEnd(8)} ${'model'.padEnd(14)}${sizes.map((n) => `N=${n}`.padStart(9)).join('')}`);
  for (const [p, l] of Object.entries(lat))
    for (const e of entries) console.log(`${p.padEnd(8)} ${e.name.padEnd(14)}${sizes.map((n) => fmt(l[e.name][n])).join('')}`);

  console.log('\nratios (latency of SNGP / other)');
  for (const [p, l] of Object.entries(lat)) {
    const r = (a: string, b: string) => sizes.map((n) => (l[a]?.[n] && l[b]?.[n] ? (l[a][n] / l[b][n]).toFixed(2) : '-').padStart(9)).join('');
    console.log(`${p.padEnd(8)} ${'sngp/det'.padEnd(14)}${r('sngp', 'deterministic')}`);
    console.log(`${p.padEnd(8)} ${'sngp/ensemble'.padEnd(14)}${r('sngp', 'ensemble')}`);
    for (const e of entries.slice(METHODS.length)) console.log(`${p.padEnd(8)} ${`${e.name}/det`.padEnd(14)}${r(e.name, 'deterministic')}`);
  }
  const c = lat.cpu;
  if (c?.sngp)
    for (const n of TARGET.sizes.filter((s) => c.sngp[s] !== undefined)) {
      const det = c.sngp[n] / c.deterministic[n];
      const ens = c.sngp[n] / c.ensemble[n];
      const ok = det <= TARGET.vsDeterministic && ens <= TARGET.vsEnsemble;
      console.log(`target (cpu, N=${n}): sngp/det ${det.toFixed(2)} <= ${TARGET.vsDeterministic}, sngp/ensemble ${ens.toFixed(2)} <= ${TARGET.vsEnsemble}: ${ok ? 'met' : 'MISSED'}`);
    }

  await posteriorSummary(entries);

  // Overhead: same bytes, same input, same provider (cpu), runtime vs raw session.run. The two
  // are measured alternately so drift hits both equally.
  console.log('\nruntime overhead over raw session.run (cpu provider, same model and Float32Array input; target <= 5%)');
  console.log(`${'method'.padEnd(14)}${OVERHEAD_SIZES.map((n) => `N=${n}`.padStart(20)).join('')}`);
  for (const m of METHODS) {
    const bytes = new Uint8Array(readFileSync(join(dir, `${m}.onnx`)));
    const model = await loadModel(bytes, { device: 'cpu' });
    const raw = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    const card = model.info.card;
    const cells: string[] = [];
    for (const n of OVERHEAD_SIZES) {
      const x = features(n);
      const feeds: Record<string, ort.Tensor> = { [ONNX_NAMES.features]: new ort.Tensor('float32', x, [n, 2]) };
      if (m === 'mc-dropout') {
        const noise = dropoutNoise(card.numSamples!, card.dropoutNoiseShape!);
        feeds[ONNX_NAMES.dropoutNoise] = new ort.Tensor('float32', noise.data, noise.dims);
      }
      const rt: number[] = [];
      const rw: number[] = [];
      await raw.run(feeds);
      await model.predict(x);
      for (let round = 0; round < 5; round++) {
        rw.push(await burst(() => raw.run(feeds), 300, 5));
        rt.push(await burst(() => model.predict(x), 300, 5));
      }
      const overhead = (median(rt) / median(rw) - 1) * 100;
      cells.push(`${fmt(median(rt)).trim()}/${fmt(median(rw)).trim()} ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)}%`.padStart(20));
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
