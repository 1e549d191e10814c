/**
 * End to end, the training panel: the demo page built with no exported models (the four method
 * panels just show their errors), served by serve.mjs, driven in Debian's headless Chromium with
 * playwright-core. SNGP and the deterministic ResNet are trained in the page's Web Worker
 * (TensorFlow.js on wasm), exported to ONNX there and run by onnxruntime-web in the page; the
 * SNGP file is downloaded through the panel's link and run by the Node runtime, which must agree
 * with the page. One browser launch; timings are printed, not asserted.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { accuracy } from '@sngp/core';
import { loadModel } from '@sngp/runtime';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { serve } from '../serve.mjs';
import { FAR_CORNERS } from '../src/train/infer.js';
import type { TrainPanelApi } from '../src/train/panel.js';
import { DEFAULT_DATA, drawData } from '../src/train/settings.js';

const PKG = resolve(import.meta.dirname, '..');
const OUT = join(PKG, 'test-output');
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-webgpu'];
/** Inside each moon, between them, on the tutorial's OOD cluster, far away, and the grid's corners. */
const PROBES: [number, number][] = [[-0.8, 0.6], [1.2, -0.4], [0.3, 0.2], [2.5, -1.75], [-3, 2.2], [0, -2], ...FAR_CORNERS.map(([x, y]): [number, number] => [x, y])];

let work: string;
let server: Server;
let url: string;
let browser: Browser;
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];

type Panel = TrainPanelApi;
/** The panel's state, as plain data. */
const panelState = () =>
  page.evaluate(() => {
    const p = (window as unknown as { __trainPanel: Panel }).__trainPanel;
    return { state: p.state, error: p.error, epochs: p.epochs, perModel: p.epochsPerModel, models: p.models, totalMs: p.totalMs };
  });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sngp-train-panel-'));
  mkdirSync(OUT, { recursive: true });
  const none = join(work, 'no-models');
  mkdirSync(none);
  const site = join(work, 'site');
  process.env.SNGP_DEMO_MODELS = none;
  process.env.SNGP_DEMO_OUT = site;
  try {
    await build({ root: PKG, configFile: join(PKG, 'vite.config.ts'), logLevel: 'error' });
  } finally {
    delete process.env.SNGP_DEMO_MODELS;
    delete process.env.SNGP_DEMO_OUT;
  }
  ({ server, url } = await serve(site));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await ctx.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { __trainPanel?: unknown }).__trainPanel !== undefined);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('train in the browser', () => {
  it('shows the data at once, then trains, exports and runs SNGP and the deterministic model with progress per epoch', async () => {
    // Before training: empty axes with the points of the default data (two moons, 300 points).
    expect((await panelState()).state).toBe('idle');
    expect(await page.locator('#train-panel canvas[data-drawn="empty"]').count()).toBe(4);
    expect(await page.locator('#train-panel select[name="dataset"]').inputValue()).toBe('moons');
    expect(Number(await page.locator('#train-panel input[name="size"]').inputValue())).toBe(DEFAULT_DATA.size);

    await page.click('#train-panel .train-start');
    // Mid-run: the progress bar and the epoch line move while SNGP trains.
    await page.waitForFunction(() => (window as unknown as { __trainPanel: Panel }).__trainPanel.epochs.sngp >= 2, null, { timeout: 120_000 });
    expect((await panelState()).state).toBe('training');
    expect(await page.locator('#train-panel .train-cancel').isEnabled()).toBe(true);
    expect(await page.locator('#train-panel .train-start').isDisabled()).toBe(true);
    expect(Number(await page.locator('#train-panel .train-bar').evaluate((b) => (b as HTMLProgressElement).value))).toBeGreaterThan(0);
    expect(await page.locator('#train-panel .train-epoch').textContent()).toMatch(/SNGP: epoch \d+ of \d+/);

    await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes((window as unknown as { __trainPanel: Panel }).__trainPanel.state), null, { timeout: 180_000 });
    const s = await panelState();
    expect(s.error).toBeNull();
    expect(s.state).toBe('done');
    // Every epoch of both models was reported.
    expect(s.epochs).toEqual(s.perModel);
    const sngp = s.models.sngp!;
    const det = s.models.deterministic!;
    console.log(
      `train-in-browser: total ${(s.totalMs! / 1000).toFixed(1)} s from the click to both models drawn; ` +
        Object.entries(s.models)
          .map(([m, f]) => `${m}: train ${f!.trainSeconds.toFixed(1)} s (${f!.msPerStep.toFixed(1)} ms/step, ${f!.backend}), export ${(f!.exportMs / 1000).toFixed(1)} s, ` +
            `load ${f!.loadMs.toFixed(0)} ms, grid ${f!.gridMs.toFixed(0)} ms (${f!.provider}), ${(f!.bytes / 1e6).toFixed(1)} MB, test acc ${f!.testAccuracy.toFixed(3)}, ` +
            `corners ${f!.corners.map((c) => c.toFixed(3)).join(' ')}`)
          .join('; '),
    );
    expect(sngp.backend).toBe('wasm');
    expect(sngp.provider).toBe('wasm');
    expect(sngp.testAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(det.testAccuracy).toBeGreaterThanOrEqual(0.97);
    // SNGP does not know at the far corners; the deterministic model stays confident somewhere there.
    for (const p of sngp.corners) expect(Math.abs(p - 0.5)).toBeLessThanOrEqual(0.1);
    expect(Math.max(...det.corners.map((p) => Math.abs(p - 0.5)))).toBeGreaterThan(0.3);
    expect(await page.locator('#train-panel canvas[data-drawn="true"]').count()).toBe(4);
    await page.locator('#train-panel').screenshot({ path: join(OUT, 'train-panel.png') });

    // Download the SNGP file through the panel's link and run it in Node.
    const file = join(work, 'sngp.onnx');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.train-model[data-method="sngp"] .train-download')]);
    expect(download.suggestedFilename()).toBe('sngp-moons.onnx');
    await download.saveAs(file);
    const model = await loadModel(file, { device: 'cpu' });
    try {
      expect(model.info.method).toBe('sngp');
      const inPage = await page.evaluate((pts) => (window as unknown as { __trainPanel: Panel }).__trainPanel.probe('sngp', pts), PROBES);
      const inNode = await model.predict(PROBES);
      expect(inPage).toHaveLength(inNode.probs.length);
      const diff = Math.max(...inPage!.map((v, i) => Math.abs(v - inNode.probs[i])));
      console.log(`train-in-browser: max |page - node| over ${PROBES.length} probe points = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-4);
      // The Node runtime on its own: accurate on the held-out draw the page scored, unsure at the corners.
      const { test } = drawData(DEFAULT_DATA);
      const t = await model.predict(test.x);
      expect(accuracy(t.probs, test.y!, 2)).toBeGreaterThanOrEqual(0.97);
      const corners = await model.predict(FAR_CORNERS.map(([x, y]) => [x, y]));
      for (let i = 0; i < FAR_CORNERS.length; i++) expect(Math.abs(corners.probs[2 * i] - 0.5)).toBeLessThanOrEqual(0.1);
      expect(corners.variance).toBeDefined();
    } finally {
      await model.dispose();
    }
  }, 240_000);

  it('cancels a run: the worker stops, the controls come back, nothing half-trained is shown', async () => {
    await page.selectOption('#train-panel select[name="dataset"]', 'spirals');
    expect(await page.locator('#train-panel canvas[data-drawn="empty"]').count()).toBe(4); // new data: the old surfaces go
    expect(await page.locator('.train-download:visible').count()).toBe(0);
    await page.click('#train-panel .train-start');
    await page.waitForFunction(() => (window as unknown as { __trainPanel: Panel }).__trainPanel.epochs.sngp >= 1, null, { timeout: 120_000 });
    // The training worker (Vite names its bundle worker-<hash>.js) is terminated by Cancel.
    const trainer = page.workers().find((w) => /\/worker-[\w-]+\.js$/.test(w.url()));
    expect(trainer, `workers: ${page.workers().map((w) => w.url()).join(', ')}`).toBeDefined();
    const closed = trainer!.waitForEvent('close');
    await page.click('#train-panel .train-cancel');
    await closed;
    const s = await panelState();
    expect(s.state).toBe('cancelled');
    expect(s.models).toEqual({});
    expect(await page.locator('#train-panel .train-stage').textContent()).toMatch(/Cancelled/);
    expect(await page.locator('#train-panel .train-start').isEnabled()).toBe(true);
    expect(await page.locator('#train-panel .train-cancel').isDisabled()).toBe(true);
    expect(await page.locator('#train-panel canvas[data-drawn="empty"]').count()).toBe(4);
    expect(await page.locator('#train-panel select[name="dataset"]').isEnabled()).toBe(true);

    // A phone's width: the panel wraps instead of scrolling sideways.
    await page.setViewportSize({ width: 390, height: 800 });
    const fit = await page.locator('#train-panel').evaluate((e) => ({ scroll: e.scrollWidth, client: e.clientWidth, right: e.getBoundingClientRect().right, inner: window.innerWidth }));
    expect(fit.scroll, 'panel scrollWidth at 390 px').toBeLessThanOrEqual(fit.client);
    expect(fit.right, 'panel right edge at 390 px').toBeLessThanOrEqual(fit.inner);
    await page.locator('#train-panel').screenshot({ path: join(OUT, 'train-panel-390.png') });

    const origin = new URL(url).origin;
    expect(requests.filter((r) => !r.startsWith(`${origin}/`) && !r.startsWith('blob:') && !r.startsWith('data:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
