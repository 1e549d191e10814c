/**
 * The behavioural check, on models trained with the default settings (100 epochs, the
 * tutorial's hyper-parameters: the main job's models, shared by the suite): far from the data,
 * at the grid's corners, SNGP says "don't know" (p near 0.5) while the deterministic ResNet stays
 * confident; and SNGP detects the OOD cluster better.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { moonsData } from '../src/data.js';
import { cornerProbabilities, evaluateModel } from '../src/evaluate.js';
import { loadEvalModel } from '../src/load.js';
import type { ModelResult } from '../src/types.js';
import { pipelineModel } from './helpers.js';

const results: Record<string, ModelResult> = {};

beforeAll(async () => {
  const data = moonsData();
  for (const method of ['sngp', 'deterministic']) {
    const file = pipelineModel(method);
    const model = await loadEvalModel(file, 'cpu', () => {});
    try {
      results[method] = await evaluateModel(model, data, { file, latencyRuns: 1 });
    } finally {
      await model.dispose();
    }
  }
}, 600_000);

describe('far from the data (default training)', () => {
  it('SNGP probability is near 0.5 at all four far corners of the grid', () => {
    const corners = cornerProbabilities(results.sngp.grid!, 2);
    for (const p of corners) expect(Math.abs(p - 0.5)).toBeLessThan(0.1);
  });

  it('the deterministic model is confident (> 0.9) at some far corner', () => {
    const corners = cornerProbabilities(results.deterministic.grid!, 2);
    expect(Math.max(...corners.map((p) => Math.max(p, 1 - p)))).toBeGreaterThan(0.9);
  });

  it('SNGP is accurate in domain and detects the OOD cluster better than the deterministic model', () => {
    expect(results.sngp.test.accuracy).toBeGreaterThanOrEqual(0.97);
    expect(results.sngp.ood!.auroc).toBeGreaterThanOrEqual(0.95);
    expect(results.sngp.ood!.auroc).toBeGreaterThan(results.deterministic.ood!.auroc);
  });
});
