/**
 * End to end: real models (train + export bins, few epochs: the main job's full-size models take
 * minutes on SwiftShader's WebGPU), the built page served by serve.mjs, real headless Chromium
 * (Debian's, via playwright-core), compared with the Node runtime on the same .onnx files. Two
 * browser launches: one with WebGPU (SwiftShader, a software adapter: the page must pick wasm, and
 * run WebGPU when asked), one with WebGPU disabled. The eval report is checked in the same browser.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { METHODS, type Method, classScores, moonsGrid, readOnnxHeader, replaceOnnxMetadata } from '@sngp/core';
import { evaluateModel, loadEvalModel, moonsData, writeReport } from '@sngp/eval';
import { loadModel, type SngpModel } from '@sngp/runtime';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { serve } from '../serve.mjs';

const PKG = resolve(import.meta.dirname, '..');
const OUT = join(PKG, 'test-output');
/** A workspace package's bin script, found through its package.json (dev dependencies of this package). */
function bin(pkg: string, name: string): string {
  const manifest = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
  return join(dirname(manifest), JSON.parse(readFileSync(manifest, 'utf8')).bin[name]);
}
const CLI = { train: bin('@sngp/train', 'sngp-train'), export: bin('@sngp/export', 'sngp-export') };
const CHROMIUM = '/usr/bin/chromium';
const BASE_ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
/** Points in each moon, between them, on the OOD cluster and far away. */
const PROBES: [number, number][] = [[-0.8, 0.6], [1.2, -0.4], [0.3, 0.2], [2.5, -1.75], [-3, 2.2]];
const CELLS = [0, 1234, 5050, 7777, 9999];
const TOL = 1e-3;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, [cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err}`))));
  });
}

let work: string;
let models: string;
let servers: Server[] = [];
const urls = { good: '', broken: '', noRuntime: '' };
const node = new Map<Method, SngpModel>();
const grid = moonsGrid();
let gpuBrowser: Browser;
let plainBrowser: Browser;

/**
 * Train and export one method's small model (a higher learning rate so 15 epochs separate the moons;
 * 128 random features keep SNGP's grid on SwiftShader's WebGPU near 10 s).
 */
async function trainAndExport(method: Method): Promise<void> {
  const ckpt = join(work, 'ckpt', method);
  await run(CLI.train, ['--method', method, '--data', 'moons', '--epochs', '15', '--learning-rate', '3e-3', '--width', '64', '--depth', '3',
    '--random-features', '128', '--ensemble-size', '3', '--mc-samples', '5', '--out', ckpt, '--quiet']);
  await run(CLI.export, [ckpt, '--out', join(models, `${method}.onnx`), '--no-verify']);
}

beforeAll(async () => {
  for (const f of Object.values(CLI)) if (!existsSync(f)) throw new Error(`${f} missing: build @sngp/train and @sngp/export first`);
  work = mkdtempSync(join(tmpdir(), 'sngp-web-demo-'));
  mkdirSync(OUT, { recursive: true });
  models = join(work, 'models');
  // Two at a time: each trainer is single-threaded, the machine has two cores.
  const queue = [...METHODS];
  await Promise.all([0, 1].map(async () => {
    for (let m = queue.shift(); m; m = queue.shift()) await trainAndExport(m);
  }));
  const site = join(work, 'site');
  process.env.SNGP_DEMO_MODELS = models;
  process.env.SNGP_DEMO_OUT = site;
  await build({ root: PKG, configFile: join(PKG, 'vite.config.ts'), logLevel: 'warn' });
  delete process.env.SNGP_DEMO_MODELS;
  delete process.env.SNGP_DEMO_OUT;
  for (const m of ['models', 'ort', 'assets']) expect(existsSync(join(site, m))).toBe(true);

  // A copy with a corrupt SNGP model and no ensemble model at all, and one without the runtime's wasm.
  const broken = join(work, 'site-broken');
  cpSync(site, broken, { recursive: true });
  const sngp = readFileSync(join(broken, 'models', 'sngp.onnx'));
  writeFileSync(join(broken, 'models', 'sngp.onnx'), sngp.subarray(0, Math.floor(sngp.length / 3)));
  rmSync(join(broken, 'models', 'ensemble.onnx'));
  const noRuntime = join(work, 'site-no-runtime');
  cpSync(site, noRuntime, { recursive: true });
  for (const f of readdirSync(join(noRuntime, 'ort'))) if (f.endsWith('.wasm')) rmSync(join(noRuntime, 'ort', f));

  const started: { server: Server; url: string }[] = await Promise.all([site, broken, noRuntime].map((d) => serve(d)));
  servers = started.map((s) => s.server);
  [urls.good, urls.broken, urls.noRuntime] = started.map((s) => s.url);
  for (const method of METHODS) node.set(method, await loadModel(join(models, `${method}.onnx`), { device: 'cpu' }));
  // Without --enable-unsafe-webgpu Chromium offers no adapter on this GPU-less machine, and
  // --disable-webgpu turns it off outright.
  [gpuBrowser, plainBrowser] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, '--enable-unsafe-webgpu'] }),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, '--disable-webgpu'] }),
  ]);
}, 600_000);

afterAll(async () => {
  await gpuBrowser?.close();
  await plainBrowser?.close();
  for (const m of node.values()) await m.dispose();
  for (const s of servers) s.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Session {
  page: Page;
  requests: string[];
  pageErrors: string[];
  encodings: Map<string, string>;
  close(): Promise<void>;
}

async function open(browser: Browser, url: string, opts: { width?: number; touch?: boolean; wait?: boolean } = {}): Promise<Session> {
  const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 900 }, hasTouch: opts.touch ?? false });
  const page = await ctx.newPage();
  const requests: string[] = [];
  const pageErrors: string[] = [];
  const encodings = new Map<string, string>();
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', async (r) => encodings.set(new URL(r.url()).pathname, (await r.allHeaders())['content-encoding'] ?? 'identity'));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  if (opts.wait !== false) await page.waitForFunction(() => (window as any).__demo?.ready === true, null, { timeout: 300_000 });
  return { page, requests, pageErrors, encodings, close: () => ctx.close() };
}

type Probs = Record<string, number[] | null>;

async function nodeProbs(method: Method, x: Float32Array, opts: { meanFieldFactor?: number; batchSize?: number } = {}): Promise<Float32Array> {
  const p = await node.get(method)!.predict(x, { seed: 0, ...opts });
  return p.probs;
}

function expectClose(got: ArrayLike<number> | null | undefined, want: ArrayLike<number>, what: string): void {
  expect(got, what).toBeTruthy();
  expect(got!.length, what).toBe(want.length);
  const diff = Math.max(...Array.from(want, (w, i) => Math.abs(w - got![i])));
  expect(diff, `${what}: max |page - node| = ${diff}`).toBeLessThan(TOL);
}

/** The page's probabilities at the probe points and grid cells equal the Node runtime's (cpu). */
async function expectSameNumbers(page: Page, label: string, sngpLambda?: number, methods: readonly Method[] = METHODS): Promise<void> {
  const opts = (m: Method) => (m === 'sngp' && sngpLambda !== undefined ? { meanFieldFactor: sngpLambda } : {});
  for (const [x, y] of PROBES) {
    const got: Probs = await page.evaluate(([px, py]) => (window as any).__demo.probe(px, py), [x, y]);
    for (const method of methods) expectClose(got[method], await nodeProbs(method, new Float32Array([x, y]), opts(method)), `${label} ${method} at (${x}, ${y})`);
  }
  for (const method of methods) {
    const want = await nodeProbs(method, grid.x, { batchSize: grid.n, ...opts(method) });
    for (const i of CELLS) {
      const got: number[] | null = await page.evaluate(([m, c]) => (window as any).__demo.cell(m, c), [method, i] as const);
      expectClose(got, want.subarray(2 * i, 2 * i + 2), `${label} ${method} grid cell ${i}`);
    }
  }
}

/** Number of distinct colours in a plot canvas: a drawn surface has many, an empty frame few. */
async function canvasColours(page: Page, method: string, kind: string): Promise<number> {
  return page.evaluate(([m, k]) => {
    const c = document.querySelector<HTMLCanvasElement>(`.panel[data-method="${m}"] .plot[data-kind="${k}"] canvas`)!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, [method, kind]);
}

const canvasUrl = (page: Page, method: string, kind: string) =>
  page.evaluate(([m, k]) => document.querySelector<HTMLCanvasElement>(`.panel[data-method="${m}"] .plot[data-kind="${k}"] canvas`)!.toDataURL(), [method, kind]);

function sameOrigin(s: Session, url: string): void {
  const origin = new URL(url).origin;
  const outside = s.requests.filter((r) => !r.startsWith(`${origin}/`) && !r.startsWith('blob:') && !r.startsWith('data:'));
  expect(outside, 'requests outside the page origin').toEqual([]);
}

/** The page's widths: no horizontal scrolling means scrollWidth <= innerWidth. */
const widths = (page: Page) => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));

/** The readout's rows as the page shows them (full precision from data attributes). */
const readoutRows = (page: Page) =>
  page.locator('#readout-values tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({ method: (tr as HTMLElement).dataset.method!, p0: Number((tr as HTMLElement).dataset.p0), u: Number((tr as HTMLElement).dataset.uncertainty) })),
  );
const readoutState = (page: Page) => page.locator('#readout-values').getAttribute('data-state');
const readoutPoint = async (page: Page) => (await page.locator('#readout-values').evaluate((e) => [e.dataset.x, e.dataset.y])).map(Number) as [number, number];

/** The readout's values equal p(class 0) and the plotted normalised p(1 - p) of the Node runtime at the readout's point. */
async function expectReadoutMatchesNode(page: Page, label: string): Promise<void> {
  const [rx, ry] = await readoutPoint(page);
  const rows = await readoutRows(page);
  expect(rows.map((r) => r.method)).toEqual([...METHODS]);
  for (const r of rows) {
    const m = r.method as Method;
    const p = await nodeProbs(m, new Float32Array([rx, ry]));
    const g = await nodeProbs(m, grid.x, { batchSize: grid.n });
    let max = 0;
    for (let i = 0; i < grid.n; i++) max = Math.max(max, g[2 * i] * (1 - g[2 * i]));
    expectClose([r.p0, r.u], [p[0], (p[0] * (1 - p[0])) / max], `${label} readout ${m} at (${rx}, ${ry})`);
  }
}

describe('web demo in headless Chromium', () => {
  it('starts on wasm with a banner on a software WebGPU adapter; first view, readout, keyboard, touch, URL, layout, cancel', async () => {
    let last = performance.now();
    const laps: string[] = [];
    const lap = (what: string) => {
      laps.push(`${what} ${((performance.now() - last) / 1000).toFixed(1)} s`);
      last = performance.now();
    };
    const s = await open(gpuBrowser, urls.good, { touch: true });
    const { page } = s;
    lap('load');
    try {
      const state = await page.evaluate(() => {
        const d = (window as any).__demo;
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return { adapter: d.adapter, requested: d.requested, provider: d.provider, providers: d.providers, errors: d.errors, timings: d.timings, pass: d.passes[0], load: nav.loadEventEnd, isolated: crossOriginIsolated };
      });
      console.log(`software adapter "${state.adapter.name}" -> ${state.provider}; first surface ${state.pass.firstSurfaceMs.toFixed(0)} ms, all four ${state.pass.allMs.toFixed(0)} ms after navigation start (load event ${state.load.toFixed(0)} ms; after it: ${(state.pass.firstSurfaceMs - state.load).toFixed(0)} / ${(state.pass.allMs - state.load).toFixed(0)} ms)`);
      console.log('wasm grid timings (ms):', JSON.stringify(state.timings));
      expect(state.adapter.software).toBe(true);
      expect(state.adapter.name).toMatch(/swiftshader/i);
      expect(state.requested).toBe('wasm');
      expect(state.provider).toBe('wasm');
      expect(state.errors).toEqual({});
      expect(state.isolated).toBe(true);
      for (const m of METHODS) expect(state.providers[m]).toBe('wasm');
      expect(await page.locator('#banner').isVisible()).toBe(true);
      expect(await page.locator('#banner').textContent()).toMatch(/Running on wasm: .*swiftshader.*software renderer/i);
      expect(await page.locator('input[name="provider"][value="wasm"]').isChecked()).toBe(true);
      expect(await page.locator('#progress').textContent()).toBe('4 of 4 models drawn on wasm.');
      for (const m of METHODS) for (const k of ['probability', 'uncertainty']) expect(await canvasColours(page, m, k)).toBeGreaterThan(50);
      await expectSameNumbers(page, 'wasm');
      lap('numbers');

      // Pointer: the readout shows both plotted values of every method, equal to Node's.
      const plot = page.locator('.panel[data-method="sngp"] .plot[data-kind="probability"] canvas.cross');
      // The mouse only reaches what is on screen: SNGP's panel is the second, below the fold at 900 px.
      await plot.scrollIntoViewIfNeeded();
      const box = (await plot.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.62, box.y + box.height * 0.6);
      await expect.poll(() => readoutRows(page).then((r) => r.filter((x) => Number.isFinite(x.p0)).length), { timeout: 30_000 }).toBe(4);
      await expectReadoutMatchesNode(page, 'pointer');
      lap('pointer');
      await page.screenshot({ path: join(OUT, 'demo-1280.png'), fullPage: true });

      // Leaving clears at once, also with a probe still in flight; its late result is dropped.
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
      const t0 = Date.now();
      await page.mouse.move(2, 2);
      const afterLeave = await readoutState(page);
      console.log(`readout after pointer leave: ${afterLeave} (${Date.now() - t0} ms incl. the move)`);
      expect(afterLeave).toBe('empty');
      await page.evaluate(() => (window as any).__demo.probe(0, 0)); // queued behind any in-flight probe
      expect(await readoutState(page)).toBe('empty');
      expect(await page.locator('#readout-values tbody tr').count()).toBe(0);

      // Keyboard: focus a plot, arrows move the probe from the centre; a short polite announcement.
      const stack = page.locator('.panel[data-method="sngp"] .plot[data-kind="uncertainty"] .stack');
      expect(await stack.getAttribute('tabindex')).toBe('0');
      await stack.focus();
      for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowUp', 'ArrowUp']) await page.keyboard.press(key);
      await expect.poll(async () => (await readoutState(page)) === 'filled' && (await readoutPoint(page)).map((v) => v.toFixed(2)).join(), { timeout: 30_000 }).toBe('0.30,0.20');
      await expect.poll(() => readoutRows(page).then((r) => r.filter((x) => Number.isFinite(x.p0)).length), { timeout: 30_000 }).toBe(4);
      await expectReadoutMatchesNode(page, 'keyboard');
      await expect.poll(() => page.locator('#announce').textContent(), { timeout: 10_000 }).toMatch(/^SNGP at 0\.3, 0\.2: class 0 probability 0\.\d\d, uncertainty [\d.]+ of the maximum\.$/);
      expect(await page.locator('#announce').getAttribute('aria-live')).toBe('polite');
      expect(await page.locator('#readout').getAttribute('aria-live')).toBeNull();
      await page.keyboard.press('Escape');
      lap('keyboard');
      expect(await readoutState(page)).toBe('empty');

      // The slider reads as a value, not a float; raw scale and lambda go into the URL.
      // Once SNGP's grid is drawn the slider holds the model card's lambda (the calibrated one).
      await page.waitForFunction(() => (window as any).__demo?.timings?.sngp?.gridMs > 0, null, { timeout: 60_000 });
      const cardLambda = node.get('sngp')!.info.card.meanFieldFactor!;
      const lambdaText = `lambda = ${cardLambda.toFixed(2)}${Math.abs(cardLambda - Math.PI / 8) < 5e-4 ? ' (π/8, the default)' : ''}`;
      expect(await page.locator('#mean-field').getAttribute('aria-valuetext')).toBe(lambdaText);
      const normalised = await canvasUrl(page, 'sngp', 'uncertainty');
      await page.locator('input[name="uncertainty"][value="raw"]').check();
      expect(await page.locator('.panel[data-method="sngp"] .plot[data-kind="uncertainty"] figcaption').textContent()).toBe('Predictive Uncertainty, SNGP');
      const rawDefault = await canvasUrl(page, 'sngp', 'uncertainty');
      expect(rawDefault).not.toBe(normalised);
      await page.locator('#mean-field').evaluate((el: HTMLInputElement) => {
        el.value = '3';
        el.dispatchEvent(new Event('input'));
      });
      expect(await canvasUrl(page, 'sngp', 'uncertainty')).not.toBe(rawDefault);
      expect(await page.locator('#mean-field').getAttribute('aria-valuetext')).toBe('lambda = 3.00');
      const want = await nodeProbs('sngp', grid.x, { meanFieldFactor: 3, batchSize: grid.n });
      for (const i of CELLS) expectClose(await page.evaluate((c) => (window as any).__demo.cell('sngp', c), i), want.subarray(2 * i, 2 * i + 2), `sngp lambda=3 cell ${i}`);
      const query = new URL(page.url()).searchParams;
      expect(query.get('uncertainty')).toBe('raw');
      expect(query.get('lambda')).toBe('3');
      expect(query.get('method')).toBe('sngp');
      lap('raw+lambda');

      // Widths: no horizontal scrolling at 1280 and 390 px; on a phone a tap pins the readout.
      let w = await widths(page);
      expect(w.scroll, `1280 px: scrollWidth ${w.scroll}`).toBeLessThanOrEqual(w.inner);
      await page.setViewportSize({ width: 390, height: 844 });
      w = await widths(page);
      console.log(`scrollWidth at 1280 and 390 px: ok, ${w.scroll} <= ${w.inner}`);
      expect(w.scroll, `390 px: scrollWidth ${w.scroll}`).toBeLessThanOrEqual(w.inner);
      const phonePlot = page.locator('.panel[data-method="deterministic"] .plot[data-kind="probability"] canvas.cross');
      // Near the top: the readout bar covers the bottom of the screen.
      await phonePlot.evaluate((e) => e.scrollIntoView({ block: 'start' }));
      const pb = (await phonePlot.boundingBox())!;
      await page.touchscreen.tap(pb.x + pb.width * 0.5, pb.y + pb.height * 0.4);
      await expect.poll(() => readoutRows(page).then((r) => r.filter((x) => Number.isFinite(x.p0)).length), { timeout: 30_000 }).toBe(4);
      const rb = (await page.locator('#readout').boundingBox())!;
      expect(rb.y + rb.height).toBeLessThanOrEqual(844 + 1);
      expect(rb.y).toBeGreaterThanOrEqual(0);
      await page.screenshot({ path: join(OUT, 'demo-390.png') });
      await page.screenshot({ path: join(OUT, 'demo-390-full.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      lap('phone');

      // Switching provider cancels the pass in flight: the WebGPU pass stops, it does not run on.
      await page.locator('input[name="provider"][value="webgpu"]').check();
      await page.locator('input[name="provider"][value="wasm"]').check();
      await page.waitForFunction(() => (window as any).__demo.passes.length === 3 && (window as any).__demo.ready, null, { timeout: 300_000 });
      const passes = await page.evaluate(() => (window as any).__demo.passes);
      console.log('passes after webgpu -> wasm:', JSON.stringify(passes.map((p: any) => ({ provider: p.provider, outcome: p.outcome, drawn: p.drawn }))));
      expect(passes[1]).toMatchObject({ provider: 'webgpu', outcome: 'cancelled' });
      expect(passes[1].drawn).toBeLessThan(4);
      expect(passes[2]).toMatchObject({ provider: 'wasm', outcome: 'finished', drawn: 4 });
      expect(new URL(page.url()).searchParams.get('provider')).toBe('wasm');
      lap('cancel');

      sameOrigin(s, urls.good);
      const wasmPath = [...s.encodings.keys()].find((p) => p.endsWith('.wasm'));
      expect(wasmPath).toBeTruthy();
      expect(s.encodings.get(wasmPath!)).toBe('br');
      expect(s.encodings.get('/models/sngp.onnx')).toBe('br');
      expect(s.pageErrors).toEqual([]);
    } finally {
      console.log('steps:', laps.join(', '));
      await s.close();
    }
  }, 600_000);

  // SwiftShader needs ~3-20 s per model grid here: by default only the deterministic model (the
  // cheapest grid), which the link's method=deterministic puts first, is waited for and compared.
  // Every method's numbers on this browser's WebGPU are compared with Node in the runtime's
  // test/browser.test.ts, and SNGP at lambda = 3 on wasm above. SNGP_E2E_WEBGPU_ALL=1 waits for and
  // compares all four here.
  const webgpuMethods: Method[] = process.env.SNGP_E2E_WEBGPU_ALL === '1' ? [...METHODS] : ['deterministic'];
  it(`runs on WebGPU when the link asks, restoring lambda, scale and method from the URL, with the same numbers (${webgpuMethods.join(', ')})`, async () => {
    const s = await open(gpuBrowser, `${urls.good}?provider=webgpu&lambda=3&uncertainty=raw&method=deterministic`, { wait: false });
    const { page } = s;
    try {
      // First view at once: every plot has its axes and points, and a per-model progress line runs.
      await page.waitForFunction(() => document.querySelectorAll('#panels canvas[data-drawn]').length === 8, null, { timeout: 30_000 });
      await expect.poll(() => page.locator('#progress').textContent(), { timeout: 60_000 }).toMatch(/^1 of 4: Deterministic Model, (loading the model|computing the grid)/);
      await page.waitForFunction((n) => (window as any).__demo?.passes?.[0]?.drawn >= n, webgpuMethods.length, { timeout: 300_000 });
      // Stop the rest of the pass: probes would otherwise queue behind its grid chunks.
      await page.evaluate(() => (window as any).__demo.cancel());
      const state = await page.evaluate(() => {
        const d = (window as any).__demo;
        return { providers: d.providers, errors: d.errors, timings: d.timings, pass: d.passes[0], meanField: d.meanField, uncertainty: d.uncertainty };
      });
      console.log(`webgpu (SwiftShader): first surface ${state.pass.firstSurfaceMs.toFixed(0)} ms after navigation start; ${state.pass.drawn} drawn by ${(await page.evaluate(() => performance.now())).toFixed(0)} ms`);
      console.log('webgpu grid timings (ms):', JSON.stringify(state.timings));
      expect(state.errors).toEqual({});
      for (const m of webgpuMethods) expect(state.providers[m]).toBe('webgpu');
      expect(state.meanField).toBe(3);
      expect(state.uncertainty).toBe('raw');
      expect(await page.locator('input[name="uncertainty"][value="raw"]').isChecked()).toBe(true);
      expect(await page.locator('#mean-field').inputValue()).toBe('3');
      expect(await page.locator('#banner').textContent()).toMatch(/as the link asks/);
      // Scrolled to the linked method's panel.
      expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
      expect(Math.abs(await page.evaluate(() => document.querySelector('.panel[data-method="deterministic"]')!.getBoundingClientRect().top))).toBeLessThan(2);
      await expectSameNumbers(page, 'webgpu', 3, webgpuMethods);
      await page.screenshot({ path: join(OUT, 'webgpu.png'), fullPage: true });
      expect(s.pageErrors).toEqual([]);
    } finally {
      await s.close();
    }
  }, 600_000);

  // Issue #22, item 5: the decisions toggle of a method's uncertainty plot. The page calibrates the
  // rules on a held-out draw, writes them into the card and predicts the grid through the runtime;
  // Node, given the same card, must give the same sets and flags.
  it('the decisions toggle draws set sizes and the abstain region from rules the page calibrated, as Node gives them', async () => {
    const s = await open(gpuBrowser, urls.good);
    const { page } = s;
    try {
      const before = await canvasUrl(page, 'sngp', 'uncertainty');
      const t0 = performance.now();
      await page.locator('input[name="decisions-sngp"]').check();
      await page.waitForFunction(() => (window as any).__demo.decisions('sngp') !== null, null, { timeout: 120_000 });
      const toggleMs = performance.now() - t0;
      const canvas = page.locator('.panel[data-method="sngp"] .plot[data-kind="uncertainty"] canvas:not(.cross)');
      await expect.poll(() => canvas.getAttribute('data-drawn'), { timeout: 10_000 }).toBe('decisions');
      const after = await canvasUrl(page, 'sngp', 'uncertainty');
      expect(after).not.toBe(before);
      const d = await page.evaluate(() => (window as any).__demo.decisions('sngp'));
      const { conformal, abstain } = d.rules;
      console.log(`decisions view: ${toggleMs.toFixed(0)} ms from the click (calibrate, reload with the card, grid); q = ${conformal.quantile}, abstain threshold ${abstain.threshold}, set sizes ${JSON.stringify(d.counts.setSize)}, abstain ${d.counts.abstain} of ${d.counts.cells}`);
      expect(conformal).toMatchObject({ alpha: 0.1, score: 'lac', n: 1000 });
      expect(abstain).toMatchObject({ score: 'logNonMax', target: { kind: 'keep', value: 0.95 }, n: 1000 });
      // Both kinds of cell in each map. With LAC and two classes a set of both needs q >= 0.5,
      // i.e. more than alpha of the calibration rows at p(true class) <= 0.5: never for a model this
      // accurate, so the sizes are 0 (uncertain: no class reaches 1 - q) and 1.
      expect(d.counts.setSize[0]).toBeGreaterThan(0);
      expect(d.counts.setSize[1]).toBeGreaterThan(0);
      if (conformal.quantile < 0.5) expect(d.counts.setSize[2] ?? 0).toBe(0);
      expect(d.counts.abstain).toBeGreaterThan(0);
      expect(d.counts.abstain).toBeLessThan(d.counts.cells);
      const note = await page.locator('.panel[data-method="sngp"] .decisions-note').textContent();
      expect(note).toContain(`α = 0.1 (LAC), quantile q = ${conformal.quantile.toPrecision(4)}`);
      expect(note).toContain(`log(1 − max p) > ${abstain.threshold.toPrecision(4)}`);
      expect(await page.locator('.panel[data-method="sngp"] .plot[data-kind="uncertainty"] figcaption').textContent()).toBe('Set Size and Abstain, SNGP');

      // Node with the page's rules in the same file's card: the same sets and flags on the grid,
      // except cells whose score is within float error of the threshold (wasm vs cpu).
      const bytes = new Uint8Array(readFileSync(join(models, 'sngp.onnx')));
      const props = { ...readOnnxHeader(bytes, 'sngp').metadata, 'sngp.conformal': JSON.stringify(conformal), 'sngp.abstain': JSON.stringify(abstain) };
      const ref = await loadModel(replaceOnnxMetadata(bytes, props, 'sngp'), { device: 'cpu' });
      try {
        const p = await ref.predict(grid.x, { batchSize: grid.n });
        const lac = classScores(p.logProbs, 2, conformal);
        let differ = 0;
        for (let i = 0; i < grid.n; i++) {
          const nearSet = Math.abs(lac[2 * i] - conformal.quantile) < 1e-4 || Math.abs(lac[2 * i + 1] - conformal.quantile) < 1e-4;
          const nearAbstain = Math.abs(p.scores.logNonMax[i] - abstain.threshold) < 1e-3;
          if (p.setSize![i] !== d.setSize[i] && !nearSet) expect.fail(`cell ${i}: node set size ${p.setSize![i]}, page ${d.setSize[i]}`);
          if (p.abstain![i] !== d.abstain[i] && !nearAbstain) expect.fail(`cell ${i}: node abstain ${p.abstain![i]}, page ${d.abstain[i]}`);
          if (p.setSize![i] !== d.setSize[i] || p.abstain![i] !== d.abstain[i]) differ++;
        }
        expect(differ).toBeLessThanOrEqual(10);
        // The readout names the set and the flag at the probed spot: on a moon, and far away.
        const plot = page.locator('.panel[data-method="sngp"] .plot[data-kind="uncertainty"] canvas.cross');
        await plot.scrollIntoViewIfNeeded();
        const box = (await plot.boundingBox())!;
        const seen = new Set<string>();
        for (const [fx, fy] of [[0.4, 0.3], [0.75, 0.12]]) {
          await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
          await expect.poll(() => page.locator('#readout-values tr[data-method="sngp"]').getAttribute('data-decision'), { timeout: 30_000 }).toBeTruthy();
          const [rx, ry] = await readoutPoint(page);
          const at = await ref.predict([[rx, ry]]);
          const text = await page.locator('#readout-values tr[data-method="sngp"]').getAttribute('data-decision');
          expect(text, `readout at (${rx}, ${ry})`).toBe(`set {${at.sets![0].labels.join(', ')}}${at.abstain![0] ? ', abstain' : ''}`);
          seen.add(text!);
        }
        expect(seen.size, 'a moon and a far corner read differently').toBe(2);
        await page.mouse.move(2, 2);
      } finally {
        await ref.dispose();
      }
      // The page's probabilities are unchanged by the rules (the same model, another card).
      await expectSameNumbers(page, 'decisions on', undefined, ['sngp']);
      await page.locator('.panel[data-method="sngp"]').screenshot({ path: join(OUT, 'decisions-sngp.png') });

      // Off again: the uncertainty surface is back.
      await page.locator('input[name="decisions-sngp"]').uncheck();
      await expect.poll(() => canvas.getAttribute('data-drawn'), { timeout: 10_000 }).toBe('true');
      expect(await canvasUrl(page, 'sngp', 'uncertainty')).toBe(before);
      expect(await page.locator('.panel[data-method="sngp"] .decisions-note').isHidden()).toBe(true);
      expect(s.pageErrors).toEqual([]);
    } finally {
      await s.close();
    }
  }, 600_000);

  it('without WebGPU runs wasm; a broken model errs in its panel; a missing runtime is one page-level error', async () => {
    const s = await open(plainBrowser, urls.broken);
    try {
      const { page } = s;
      expect(await page.evaluate(async () => !!(await (navigator as any).gpu?.requestAdapter()))).toBe(false);
      const state = await page.evaluate(() => ({ ...(window as any).__demo }));
      expect(state.webgpuAvailable).toBe(false);
      expect(state.provider).toBe('wasm');
      expect(await page.locator('input[name="provider"][value="webgpu"]').isDisabled()).toBe(true);
      expect(await page.locator('#banner').isHidden()).toBe(true);
      const errors: Record<string, string> = state.errors;
      expect(Object.keys(errors).sort()).toEqual(['ensemble', 'sngp']);
      expect(errors.ensemble).toMatch(/models\/ensemble\.onnx.*404/);
      for (const m of ['sngp', 'ensemble']) {
        const panel = page.locator(`.panel[data-method="${m}"]`);
        expect(await panel.getAttribute('data-state')).toBe('error');
        const alert = panel.locator('.error');
        expect(await alert.isVisible()).toBe(true);
        expect(await alert.textContent()).toContain(errors[m]);
      }
      for (const m of ['deterministic', 'mc-dropout']) {
        expect(await page.locator(`.panel[data-method="${m}"]`).getAttribute('data-state')).toBe('ok');
        expect(await canvasColours(page, m, 'probability')).toBeGreaterThan(50);
      }
      const probe: Probs = await page.evaluate(() => (window as any).__demo.probe(0, 0));
      expect(probe.sngp).toBeNull();
      expectClose(probe.deterministic, await nodeProbs('deterministic', new Float32Array([0, 0])), 'deterministic beside broken models');
      await page.screenshot({ path: join(OUT, 'broken-models.png'), fullPage: true });
      sameOrigin(s, urls.broken);
    } finally {
      await s.close();
    }

    const r = await open(plainBrowser, urls.noRuntime);
    try {
      const { page } = r;
      const state = await page.evaluate(() => ({ ...(window as any).__demo }));
      console.log('runtime failure shown once:', state.pageError.split('\n')[0].slice(0, 160));
      expect(state.pageError).not.toBe('');
      expect(state.errors).toEqual({});
      expect(await page.locator('#page-error').isVisible()).toBe(true);
      expect(await page.locator('[role="alert"]:visible').count()).toBe(1);
      for (const m of METHODS) {
        expect(await page.locator(`.panel[data-method="${m}"]`).getAttribute('data-state')).toBe('error');
        expect(await page.locator(`.panel[data-method="${m}"] .error`).textContent()).toMatch(/^Not run: the model runtime did not load/);
      }
      await page.screenshot({ path: join(OUT, 'no-runtime.png') });
    } finally {
      await r.close();
    }
  }, 600_000);

  it('the eval report fits a phone and a desktop (same look as the page)', async () => {
    const data = moonsData();
    const results = [];
    for (const m of ['sngp'] as const) {
      const model = await loadEvalModel(join(models, `${m}.onnx`), 'cpu', () => {});
      try {
        results.push(await evaluateModel(model, data, { latencyRuns: 1 }));
      } finally {
        await model.dispose?.();
      }
    }
    const dir = join(work, 'report');
    const t0 = performance.now();
    await writeReport(dir, results, data);
    console.log(`report (1 model) written in ${(performance.now() - t0).toFixed(0)} ms`);
    const ctx = await gpuBrowser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await ctx.newPage();
      await page.goto(pathToFileURL(join(dir, 'index.html')).href);
      await page.waitForFunction(() => Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0));
      for (const [width, file] of [[1280, 'report-1280.png'], [390, 'report-390.png']] as const) {
        await page.setViewportSize({ width, height: 900 });
        const w = await widths(page);
        expect(w.scroll, `report at ${width} px: scrollWidth ${w.scroll}`).toBeLessThanOrEqual(w.inner);
        await page.screenshot({ path: join(OUT, file), fullPage: true });
      }
      // A caption under the overview and under each model's surfaces.
      expect(await page.locator('figcaption').count()).toBe(1 + results.length);
    } finally {
      await ctx.close();
    }
  }, 300_000);
});
