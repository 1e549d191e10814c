import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { loadModel } from '../src/node.js';
import type { BrowserResult } from './browser/page.js';
import { serveStatic } from './browser/server.js';
import { METHODS, maxAbsDiff, sampleFeatures } from './fixtures.js';

// Debian's chromium; Playwright's own browser download cannot work offline.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ortWebDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
const { rows } = sampleFeatures();

let server: Server;
let context: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  const served = await serveStatic({ '/ort/': ortWebDist, '/models/': inject('modelsDir'), '/': inject('pageDir') });
  server = served.server;
  profile = mkdtempSync(join(tmpdir(), 'sngp-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  page = await context.newPage();
  await page.goto(`${served.url}/`);
  await page.waitForFunction(() => (globalThis as { sngpReady?: boolean }).sngpReady === true);
});

afterAll(async () => {
  await context?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function runInPage(method: string, device: string): Promise<BrowserResult> {
  return page.evaluate(
    ([url, dev, x]) =>
      (globalThis as unknown as { sngpRun: (u: string, d: string, f: number[][], o: object) => Promise<BrowserResult> }).sngpRun(
        url,
        dev,
        x,
        { seed: 11 },
      ),
    [`/models/${method}.onnx`, device, rows] as const,
  );
}

describe('browser entry in headless Chromium', () => {
  it('has a real WebGPU adapter and cross-origin isolation', async () => {
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return gpu ? (await gpu.requestAdapter()) !== null : false;
    });
    expect(adapter).toBe(true);
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
  });

  for (const device of ['wasm', 'webgpu'] as const) {
    it(`${device}: every method matches the Node runtime`, async () => {
      for (const method of METHODS) {
        const web = await runInPage(method, device);
        expect(web.provider).toBe(device);
        expect(web.method).toBe(method);
        expect(web.warnings).toEqual([]);
        const node = await loadModel(join(inject('modelsDir'), `${method}.onnx`), { device: 'cpu' });
        const ref = await node.predict(rows, { seed: 11 });
        await node.dispose();
        const tol = device === 'webgpu' ? 1e-3 : 1e-4;
        expect(maxAbsDiff(web.probs, ref.probs), `${device} ${method}`).toBeLessThan(tol);
        if (ref.variance) expect(maxAbsDiff(web.variance!, ref.variance), `${device} ${method} variance`).toBeLessThan(tol);
      }
    });
  }

  // Issue #20: the browser entry shares model.ts, so row objects are encoded there too.
  it('wasm: row objects keyed by the feature names give the probabilities of the number rows', async () => {
    const node = await loadModel(join(inject('modelsDir'), 'sngp.onnx'), { device: 'cpu' });
    const names = node.info.featureNames;
    const ref = await node.predict(rows);
    await node.dispose();
    const objects = rows.map((r) => Object.fromEntries(names.map((n, j) => [n, r[j]])));
    const web = await page.evaluate(
      ([url, x]) =>
        (globalThis as unknown as { sngpRun: (u: string, d: string, f: object[], o: object) => Promise<BrowserResult> }).sngpRun(url, 'wasm', x, {}),
      ['/models/sngp.onnx', objects] as const,
    );
    expect(maxAbsDiff(web.probs, ref.probs)).toBeLessThan(1e-4);
    expect(web.unseen).toEqual([]);
  });

  it('reports a model without our card clearly', async () => {
    const msg = await page.evaluate(() =>
      (globalThis as unknown as { sngpRunError: (u: string) => Promise<string> }).sngpRunError('/index.html'),
    );
    expect(msg).toMatch(/^SngpError: \/index.html: not an ONNX model/);
    const missing = await page.evaluate(() =>
      (globalThis as unknown as { sngpRunError: (u: string) => Promise<string> }).sngpRunError('/models/nope.onnx'),
    );
    expect(missing).toMatch(/nope.onnx: cannot fetch the model: HTTP 404/);
  });
});
