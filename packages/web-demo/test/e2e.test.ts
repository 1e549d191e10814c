/**
 * End to end: real models (train + export bins, few epochs: the main job's full-size models take
 * minutes on SwiftShader's WebGPU), the built page, real headless
 * Chromium (Debian's, via playwright-core) on WebGPU (SwiftShader) and on wasm with WebGPU
 * really disabled, compared with the Node runtime on the same .onnx files.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { METHODS, type Method, moonsGrid } from '@sngp/core';
import { loadModel, type SngpModel } from '@sngp/runtime';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
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
let servers: Server[] = [];
let goodUrl: string;
let brokenUrl: string;
const node = new Map<Method, SngpModel>();
const grid = moonsGrid();

beforeAll(async () => {
  for (const f of Object.values(CLI)) if (!existsSync(f)) throw new Error(`${f} missing: build @sngp/train and @sngp/export first`);
  work = mkdtempSync(join(tmpdir(), 'sngp-web-demo-'));
  mkdirSync(OUT, { recursive: true });
  const models = join(work, 'models');
  // Small, quickly trained models (a higher learning rate so 15 epochs already separate the moons).
  for (const method of METHODS) {
    const ckpt = join(work, 'ckpt', method);
    await run(CLI.train, ['--method', method, '--data', 'moons', '--epochs', '15', '--learning-rate', '3e-3', '--width', '64', '--depth', '3',
      '--random-features', '256', '--ensemble-size', '3', '--mc-samples', '5', '--out', ckpt, '--quiet']);
    await run(CLI.export, [ckpt, '--out', join(models, `${method}.onnx`), '--no-verify']);
  }
  const site = join(work, 'site');
  process.env.SNGP_DEMO_MODELS = models;
  process.env.SNGP_DEMO_OUT = site;
  await build({ root: PKG, configFile: join(PKG, 'vite.config.ts'), logLevel: 'warn' });
  delete process.env.SNGP_DEMO_MODELS;
  delete process.env.SNGP_DEMO_OUT;
  for (const m of ['models', 'ort', 'assets']) expect(existsSync(join(site, m))).toBe(true);

  // A second copy of the site with a corrupt SNGP model and no ensemble model at all.
  const broken = join(work, 'site-broken');
  cpSync(site, broken, { recursive: true });
  const sngp = readFileSync(join(broken, 'models', 'sngp.onnx'));
  writeFileSync(join(broken, 'models', 'sngp.onnx'), sngp.subarray(0, Math.floor(sngp.length / 3)));
  rmSync(join(broken, 'models', 'ensemble.onnx'));

  const a = await serve(site);
  const b = await serve(broken);
  servers = [a.server, b.server];
  goodUrl = a.url;
  brokenUrl = b.url;
  for (const method of METHODS) node.set(method, await loadModel(join(models, `${method}.onnx`), { device: 'cpu' }));
}, 600_000);

afterAll(async () => {
  for (const m of node.values()) await m.dispose();
  for (const s of servers) s.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Session {
  ctx: BrowserContext;
  page: Page;
  requests: string[];
  pageErrors: string[];
}

async function open(url: string, webgpu: boolean): Promise<Session> {
  // A fresh profile each time; without --enable-unsafe-webgpu Chromium offers no adapter on this
  // GPU-less machine, and --disable-webgpu turns it off outright.
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(work, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [...BASE_ARGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-webgpu'])],
  });
  const page = await ctx.newPage();
  const requests: string[] = [];
  const pageErrors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => (window as any).__demo?.ready === true, null, { timeout: 300_000 });
  return { ctx, page, requests, pageErrors };
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
async function expectSameNumbers(page: Page, label: string): Promise<void> {
  for (const [x, y] of PROBES) {
    const got: Probs = await page.evaluate(([px, py]) => (window as any).__demo.probe(px, py), [x, y]);
    for (const method of METHODS) expectClose(got[method], await nodeProbs(method, new Float32Array([x, y])), `${label} ${method} at (${x}, ${y})`);
  }
  for (const method of METHODS) {
    const want = await nodeProbs(method, grid.x, { batchSize: grid.n });
    for (const i of CELLS) {
      const got: number[] | null = await page.evaluate(([m, c]) => (window as any).__demo.cell(m, c), [method, i] as const);
      expectClose(got, want.subarray(2 * i, 2 * i + 2), `${label} ${method} grid cell ${i}`);
    }
  }
}

/** Fraction of distinct colours in a plot canvas: a drawn surface has many, a blank one has 1. */
async function canvasColours(page: Page, method: string, kind: string): Promise<number> {
  return page.evaluate(([m, k]) => {
    const c = document.querySelector<HTMLCanvasElement>(`.panel[data-method="${m}"] .plot[data-kind="${k}"] canvas`)!;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  }, [method, kind]);
}

function sameOrigin(s: Session, url: string): void {
  const origin = new URL(url).origin;
  const outside = s.requests.filter((r) => !r.startsWith(`${origin}/`) && !r.startsWith('blob:') && !r.startsWith('data:'));
  expect(outside, 'requests outside the page origin').toEqual([]);
  expect(s.requests.some((r) => r.endsWith('.wasm'))).toBe(true);
}

describe('web demo in headless Chromium', () => {
  it('runs all four models on WebGPU, matches the Node runtime, reads out points and re-renders SNGP', async () => {
    const s = await open(goodUrl, true);
    try {
      const { page } = s;
      const state = await page.evaluate(() => {
        const d = (window as any).__demo;
        return { provider: d.provider, providers: d.providers, errors: d.errors, timings: d.timings, isolated: crossOriginIsolated };
      });
      console.log('webgpu grid timings (ms):', JSON.stringify(state.timings));
      expect(state.provider).toBe('webgpu');
      expect(state.errors).toEqual({});
      expect(state.isolated).toBe(true);
      for (const m of METHODS) expect(state.providers[m]).toBe('webgpu');
      expect(await page.locator('#provider').textContent()).toBe('webgpu');
      for (const m of METHODS) {
        await expect.poll(() => page.locator(`.panel[data-method="${m}"]`).getAttribute('data-state')).toBe('ok');
        expect(await page.locator(`.panel[data-method="${m}"] .status`).textContent()).toMatch(/webgpu .* grid [\d.]+ ms/);
        for (const k of ['probability', 'uncertainty']) expect(await canvasColours(page, m, k)).toBeGreaterThan(50);
      }
      await expectSameNumbers(page, 'webgpu');

      // Pointing at a spot fills the readout with every method's numbers there.
      const box = (await page.locator('.panel[data-method="sngp"] canvas.cross').first().boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.62, box.y + box.height * 0.6);
      await expect.poll(() => page.locator('#readout tbody tr').count(), { timeout: 30_000 }).toBe(4);
      const [rx, ry] = (await page.locator('#readout').evaluate((e) => [e.dataset.x, e.dataset.y])).map(Number);
      const rows = await page.locator('#readout tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent)));
      for (const [i, m] of METHODS.entries()) {
        const want = await nodeProbs(m, new Float32Array([rx, ry]));
        expectClose([Number(rows[i][1]), Number(rows[i][2])], want, `readout ${m}`);
      }
      await page.screenshot({ path: join(OUT, 'webgpu.png'), fullPage: true });

      // The mean-field slider re-renders SNGP from stored logits and variance.
      const before = await page.evaluate(() => (document.querySelector('.panel[data-method="sngp"] canvas') as HTMLCanvasElement).toDataURL());
      await page.locator('#mean-field').evaluate((el: HTMLInputElement) => {
        el.value = '3';
        el.dispatchEvent(new Event('input'));
      });
      const after = await page.evaluate(() => (document.querySelector('.panel[data-method="sngp"] canvas') as HTMLCanvasElement).toDataURL());
      expect(after).not.toBe(before);
      const want = await nodeProbs('sngp', grid.x, { meanFieldFactor: 3, batchSize: grid.n });
      for (const i of CELLS) expectClose(await page.evaluate((c) => (window as any).__demo.cell('sngp', c), i), want.subarray(2 * i, 2 * i + 2), `sngp lambda=3 cell ${i}`);
      await page.locator('#mean-field').evaluate((el: HTMLInputElement) => {
        el.value = String(Math.PI / 8);
        el.dispatchEvent(new Event('input'));
      });

      // The provider switch re-runs everything on wasm, with the same numbers.
      await page.locator('input[name="provider"][value="wasm"]').check();
      await page.waitForFunction(() => (window as any).__demo.ready && (window as any).__demo.provider === 'wasm', null, { timeout: 300_000 });
      await expectSameNumbers(page, 'switched to wasm');
      sameOrigin(s, goodUrl);
      expect(s.pageErrors).toEqual([]);
    } finally {
      await s.ctx.close();
    }
  }, 900_000);

  it('falls back to wasm when the browser has no WebGPU, with the same numbers', async () => {
    const s = await open(goodUrl, false);
    try {
      const { page } = s;
      expect(await page.evaluate(async () => !!(await (navigator as any).gpu?.requestAdapter()))).toBe(false);
      const state = await page.evaluate(() => ({ ...(window as any).__demo }));
      console.log('wasm grid timings (ms):', JSON.stringify(state.timings));
      expect(state.webgpuAvailable).toBe(false);
      expect(state.provider).toBe('wasm');
      expect(state.errors).toEqual({});
      expect(await page.locator('input[name="provider"][value="webgpu"]').isDisabled()).toBe(true);
      for (const m of METHODS) for (const k of ['probability', 'uncertainty']) expect(await canvasColours(page, m, k)).toBeGreaterThan(50);
      await expectSameNumbers(page, 'wasm');
      await page.screenshot({ path: join(OUT, 'wasm.png'), fullPage: true });
      sameOrigin(s, goodUrl);
      expect(s.pageErrors).toEqual([]);
    } finally {
      await s.ctx.close();
    }
  }, 600_000);

  it('shows a load error in the panel of a corrupt or missing model, and still runs the others', async () => {
    const s = await open(brokenUrl, false);
    try {
      const { page } = s;
      const errors: Record<string, string> = await page.evaluate(() => (window as any).__demo.errors);
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
      sameOrigin(s, brokenUrl);
    } finally {
      await s.ctx.close();
    }
  }, 600_000);
});
