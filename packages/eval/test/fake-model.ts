/**
 * A small closed-form model with the runtime's interface, for testing the evaluation code without
 * onnxruntime: p(class 0) = sigmoid(a * (y - x * slope)), and (if `distanceAware`) probabilities
 * pulled to 0.5 with distance from the origin, like SNGP (whose `scores.variance` is then the
 * squared distance from (0.5, 0)).
 */
import { logSoftmaxRows, uncertaintyScore, uncertaintyScores } from '@sngp/core';
import type { EvalModel, EvalPrediction } from '../src/types.js';

export function fakeModel(opts: { distanceAware?: boolean; method?: 'sngp' | 'deterministic' } = {}): EvalModel & { calls: number } {
  const model = {
    calls: 0,
    info: { method: opts.method ?? 'deterministic', classes: ['0', '1'], featureNames: ['x', 'y'], inputDim: 2, provider: 'fake' },
    async predict(x: Float32Array): Promise<EvalPrediction> {
      model.calls++;
      const n = x.length / 2;
      const probs = new Float32Array(2 * n);
      const logits = new Float64Array(2 * n);
      const distance = new Float64Array(n); // stands in for SNGP's variance: grows away from the data
      const predicted = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const [a, b] = [x[2 * i], x[2 * i + 1]];
        let z = 6 * (b - 0.25 + 0.3 * (a - 0.5));
        if (opts.distanceAware) z *= Math.exp(-((a - 0.5) ** 2 + b ** 2) / 2);
        const p = 1 / (1 + Math.exp(-z));
        logits[2 * i] = z; // softmax([z, 0]) = (sigmoid(z), 1 - sigmoid(z))
        distance[i] = (a - 0.5) ** 2 + b ** 2;
        probs[2 * i] = p;
        probs[2 * i + 1] = 1 - p;
        predicted[i] = p >= 0.5 ? 0 : 1;
      }
      const uncertainty = uncertaintyScore(probs, 2);
      const logProbs = logSoftmaxRows(logits, 2);
      const scores = uncertaintyScores(logProbs, 2, opts.method === 'sngp' ? distance : undefined);
      const predictedLabel = Array.from(predicted, (c) => model.info.classes[c]);
      return { rows: n, numClasses: 2, probs, predicted, predictedLabel, confidence: uncertainty.map((u) => 1 - u), uncertainty, scores, logProbs };
    },
    async dispose() {},
  };
  return model;
}
