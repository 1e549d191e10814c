/**
 * Issue #22: the same rows give the same prediction sets, abstain flags and predicted labels in
 * Node (cpu) and in real Chromium (onnxruntime-web on wasm, and WebGPU on SwiftShader), for models
 * whose card carries a conformal rule (LAC, APS) and an abstain rule calibrated with core's functions.
 *
 * The rows cross the rules' boundaries: a 50 x 50 sweep of the two-moons grid (the moons, the band
 * between them, the far corners) and the OOD cluster. Float32 outputs differ slightly between
 * backends (wasm ~1e-6, SwiftShader's cos ~2e-4), so a row whose score lies within that difference
 * of a threshold may fall on the other side in the browser; the test requires the decision to agree
 * wherever both platforms' scores are on the same side of the threshold (the rule itself is the
 * same), and such straddling rows to be rare and truly at the threshold.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classScores, replaceOnnxMetadata, rowUniforms, twoMoons, uncertaintyScores, type Method } from '@sngp/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/node.js';
import { openHarness, type HarnessPage } from './browser/launch.js';
import type { DecisionResult } from './browser/page.js';
import { calibratedModel, type CalibratedModel } from './fixtures.js';

/**
 * The rules. SNGP makes no error on the calibration draw, so its LAC quantile at alpha 0.1 is small
 * (~0.013): sets are {one class} on the moons and empty in between and far away; APS likewise.
 * A set of both classes needs q >= 0.5, i.e. calibration rows with p(true class) <= 0.5 beyond the
 * alpha share: the deterministic net's 6 errors at alpha 0.002 (the rank-999 score of 1,000 rows).
 */
const CASES: { name: string; method: Method; score: 'lac' | 'aps'; randomized?: boolean; alpha: number; sizes: number[]; webgpu?: false }[] = [
  { name: 'sngp-lac', method: 'sngp', score: 'lac', alpha: 0.1, sizes: [0, 1] },
  // Not on WebGPU: its graph outputs are those of sngp-lac (same model); only the score differs.
  { name: 'sngp-aps', method: 'sngp', score: 'aps', alpha: 0.1, sizes: [0, 1], webgpu: false },
  // sngp-calibrate's APS: U per row from a hash of its float32 features, the same in both. Its
  // scores are spread out instead of tied at p_top and 1, so sets of both classes appear where SNGP is unsure.
  { name: 'sngp-aps-randomized', method: 'sngp', score: 'aps', randomized: true, alpha: 0.1, sizes: [0, 1, 2] },
  { name: 'deterministic-lac', method: 'deterministic', score: 'lac', alpha: 0.002, sizes: [1, 2] },
];
/** Largest |Node score - browser score| allowed, per device (LAC/APS scores and log(1 - max p)). */
const SCORE_TOL = { wasm: { set: 1e-4, abstain: 1e-3 }, webgpu: { set: 2e-3, abstain: 2e-2 } };

function sweepRows(): number[][] {
  const { grid, ood } = twoMoons(0);
  const out: number[][] = [];
  for (let r = 0; r < 100; r += 2) for (let c = 0; c < 100; c += 2) out.push([grid.x[2 * (r * 100 + c)], grid.x[2 * (r * 100 + c) + 1]]);
  for (let i = 0; i < ood.n; i += 5) out.push([ood.x[2 * i], ood.x[2 * i + 1]]);
  return out;
}

/** Rows per device: SwiftShader's WebGPU runs the full-size SNGP at ~70 rows/s here, so it gets every 4th. */
const ROWS = { wasm: sweepRows(), webgpu: sweepRows().filter((_, i) => i % 4 === 0) };
const models = new Map<string, CalibratedModel>();
/** Node's decisions, by `${case}:${device}` (the device's rows). */
const node = new Map<string, DecisionResult>();
let dir: string;
let harness: HarnessPage;
let page: Page;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sngp-decisions-'));
  for (const c of CASES) {
    const m = await calibratedModel(c.method, { score: c.score, randomized: c.randomized, alpha: c.alpha });
    models.set(c.name, m);
    writeFileSync(join(dir, `${c.name}.onnx`), m.bytes);
    const model = await loadModel(m.bytes, { device: 'cpu' });
    for (const device of ['wasm', 'webgpu'] as const) {
      const p = await model.predict(ROWS[device]);
      node.set(`${c.name}:${device}`, {
        provider: model.info.provider,
        setMask: Array.from(p.setMask!),
        setSize: Array.from(p.setSize!),
        sets: p.sets!,
        abstain: Array.from(p.abstain!),
        predictedLabel: p.predictedLabel,
        logProbs: Array.from(p.logProbs),
      });
    }
    await model.dispose();
  }
  harness = await openHarness({ '/calibrated/': dir });
  page = harness.page;
});

afterAll(async () => {
  await harness?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function decideInPage(name: string, device: 'wasm' | 'webgpu'): Promise<DecisionResult> {
  return page.evaluate(
    ([url, dev, x]) =>
      (globalThis as unknown as { sngpDecide: (u: string, d: string, f: number[][]) => Promise<DecisionResult> }).sngpDecide(url, dev, x),
    [`/calibrated/${name}.onnx`, device, ROWS[device]] as const,
  );
}

/**
 * Check one decision (a set-membership cell or an abstain row) on every row: each platform's
 * value follows the rule from its own score (`inside` where score <= threshold), the scores agree
 * within `tol`, and so the values agree except where the two scores straddle the threshold, which
 * only a score within `tol` of it can do.
 * @returns how many rows straddle.
 */
function compare(
  what: string,
  want: number[],
  got: number[],
  scores: { node: ArrayLike<number>; web: ArrayLike<number> },
  rule: { threshold: number; inside: 0 | 1; tol: number },
): number {
  const value = (s: number) => (s <= rule.threshold ? rule.inside : 1 - rule.inside);
  let straddling = 0;
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [scores.node[i], scores.web[i]];
    expect(Math.abs(a - b), `${what} ${i}: score node ${a} vs browser ${b}`).toBeLessThan(rule.tol);
    expect(want[i], `${what} ${i}: node`).toBe(value(a));
    expect(got[i], `${what} ${i}: browser`).toBe(value(b));
    if (value(a) !== value(b)) {
      straddling++;
      expect(Math.abs(a - rule.threshold), `${what} ${i} straddles`).toBeLessThan(rule.tol);
    }
  }
  return straddling;
}

describe('prediction sets and abstain flags: Node and Chromium agree', () => {
  it('the sweep crosses every rule boundary: set sizes 0, 1 and 2 and both abstain values occur (Node)', () => {
    for (const c of CASES) expect(new Set(node.get(`${c.name}:webgpu`)!.setSize), `${c.name} on the webgpu rows`).toEqual(new Set(c.sizes));
    const seen = new Set<number>();
    for (const c of CASES) {
      const n = node.get(`${c.name}:wasm`)!;
      const sizes = [...new Set(n.setSize)].sort();
      expect(sizes, `${c.name} set sizes`).toEqual(c.sizes);
      for (const s of sizes) seen.add(s);
      expect(new Set(n.abstain), `${c.name} abstain values`).toEqual(new Set([0, 1]));
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);
    // The deterministic rule's quantile is above 0.5 (needed for a set of both classes), SNGP's below.
    expect(models.get('deterministic-lac')!.conformal.quantile).toBeGreaterThan(0.5);
    expect(models.get('sngp-lac')!.conformal.quantile).toBeLessThan(0.5);
  });

  it('the browser rejects a card whose rule is broken, naming the key (validated at load as in Node)', async () => {
    const m = models.get('sngp-lac')!;
    const bad = { ...m.props, 'sngp.conformal': JSON.stringify({ ...m.conformal, quantile: 'high' }) };
    writeFileSync(join(dir, 'bad.onnx'), replaceOnnxMetadata(m.original, bad, 'bad'));
    const msg = await page.evaluate(() => (globalThis as unknown as { sngpRunError: (u: string) => Promise<string> }).sngpRunError('/calibrated/bad.onnx'));
    expect(msg).toMatch(/model card key "sngp.conformal" field "quantile"/);
  });

  for (const device of ['wasm', 'webgpu'] as const) {
    it(`${device}: the same sets, sizes, labels, abstain flags and predicted labels as Node`, async () => {
      const report: string[] = [];
      for (const c of CASES.filter((c) => device === 'wasm' || c.webgpu !== false)) {
        const want = node.get(`${c.name}:${device}`)!;
        const rows = ROWS[device];
        const got = await decideInPage(c.name, device);
        expect(got.provider).toBe(device);
        const rule = models.get(c.name)!;
        const k = 2;
        const tol = SCORE_TOL[device];
        const u = rule.conformal.randomized ? rowUniforms(Float32Array.from(rows.flat()), 2) : undefined;
        const setStraddling = compare(
          `${c.name} ${device} set cell`,
          want.setMask,
          got.setMask,
          { node: classScores(want.logProbs, k, rule.conformal, u), web: classScores(got.logProbs, k, rule.conformal, u) },
          { threshold: rule.conformal.quantile, inside: 1, tol: tol.set },
        );
        const abstainStraddling = compare(
          `${c.name} ${device} abstain row`,
          want.abstain,
          got.abstain,
          { node: uncertaintyScores(want.logProbs, k).logNonMax, web: uncertaintyScores(got.logProbs, k).logNonMax },
          { threshold: rule.abstain.threshold, inside: 0, tol: tol.abstain },
        );
        // Sizes and lists follow from the mask in both; labels wherever no class is at a tie.
        for (let i = 0; i < rows.length; i++) {
          const rowSame = [0, 1].every((j) => got.setMask[i * k + j] === want.setMask[i * k + j]);
          if (!rowSame) continue;
          expect(got.setSize[i]).toBe(want.setSize[i]);
          expect(got.sets[i]).toEqual(want.sets[i]);
          if (Math.abs(want.logProbs[i * k] - want.logProbs[i * k + 1]) > tol.set) expect(got.predictedLabel[i], `${c.name} row ${i} label`).toBe(want.predictedLabel[i]);
        }
        expect(setStraddling + abstainStraddling, `${c.name} ${device}: rows on the other side of a threshold`).toBeLessThanOrEqual(Math.ceil(0.005 * rows.length));
        const sizes = [0, 1, 2].map((s) => got.setSize.filter((v) => v === s).length);
        report.push(`${c.name}: sizes 0/1/2 ${sizes.join('/')}, abstain ${got.abstain.filter((v) => v === 1).length}/${rows.length}, straddling ${setStraddling} set cells + ${abstainStraddling} abstain rows`);
      }
      console.log(`${device}, ${ROWS[device].length} rows:\n  ${report.join('\n  ')}`);
    });
  }
});
