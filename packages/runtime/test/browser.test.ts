import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { loadModel } from '../src/node.js';
import { openHarness, type HarnessPage } from './browser/launch.js';
import type { BrowserResult } from './browser/page.js';
import { METHODS, maxAbsDiff, sampleFeatures } from './fixtures.js';

const { rows } = sampleFeatures();

let harness: HarnessPage;
let page: Page;

beforeAll(async () => {
  harness = await openHarness();
  page = harness.page;
});

afterAll(async () => {
  await harness?.close();
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

  // Issue #22: SwiftShader is this machine's only adapter. 'auto' must skip it and say why;
  // an explicit 'webgpu' still runs on it and says it is software.
  it('auto skips the software WebGPU adapter (SwiftShader) and says why; webgpu still runs on it', async () => {
    const auto = await runInPage('deterministic', 'auto');
    expect(auto.provider).toBe('wasm');
    expect(auto.deviceChoice.requested).toBe('auto');
    expect(auto.deviceChoice.reason).toMatch(
      /^auto: webgpu: the adapter is software \(.*swiftshader.*: (the browser marks it as a fallback adapter|"swiftshader" is a CPU renderer)\), slower than wasm for these models; using wasm$/i,
    );
    expect(auto.warnings).toEqual([]);
    const gpu = await runInPage('deterministic', 'webgpu');
    expect(gpu.provider).toBe('webgpu');
    expect(gpu.deviceChoice.reason).toMatch(/^webgpu requested \(on a software adapter .*swiftshader.*\)$/i);
    const wasm = await runInPage('deterministic', 'wasm');
    expect(wasm.deviceChoice.reason).toBe('wasm requested');
    // The same adapter classification is public for pages that want to show it.
    const report = await page.evaluate(() => (globalThis as unknown as { sngpAdapter: () => Promise<unknown> }).sngpAdapter());
    expect(report).toMatchObject({ software: true });
    expect((report as { name: string }).name).toMatch(/swiftshader/i);
    expect(auto.probs).toEqual(wasm.probs);
  });

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
