import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { serveStatic } from './server.js';

// Debian's chromium; Playwright's own browser download cannot work offline.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The harness page in headless Chromium with WebGPU on (SwiftShader here), and how to close it. */
export interface HarnessPage {
  page: Page;
  close(): Promise<void>;
}

/**
 * Serve the built harness page, onnxruntime-web's files, the fixture models and any extra
 * directories on 127.0.0.1, and open the page in headless Chromium.
 * @param extra - more URL prefix -> directory mounts, e.g. { '/calibrated/': dir }.
 * @returns the ready page (its `sngpReady` is true).
 */
export async function openHarness(extra: Record<string, string> = {}): Promise<HarnessPage> {
  const ortWebDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
  const served = await serveStatic({ '/ort/': ortWebDist, '/models/': inject('modelsDir'), ...extra, '/': inject('pageDir') });
  const profile = mkdtempSync(join(tmpdir(), 'sngp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const close = async () => {
    await context.close();
    served.server.close();
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const page = await context.newPage();
    await page.goto(`${served.url}/`);
    await page.waitForFunction(() => (globalThis as { sngpReady?: boolean }).sngpReady === true);
    return { page, close };
  } catch (e) {
    await close();
    throw e;
  }
}
