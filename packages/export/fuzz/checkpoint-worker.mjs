/**
 * Fuzz worker (a child process of checkpoints.fuzz.test.ts): each mutated checkpoint directory goes
 * through `readCheckpoint` -> `exportModel` -> `loadModel` -> `predict` on a fixed batch.
 * Protocol: see fuzz/harness.ts at the repository root (`S <index>` before a case, `R <json>` after). Outcomes: `rejected`
 * (SngpError anywhere), `finite` (every output finite), `silent-nan` (a prediction with
 * NaN/Infinity and no error), `crash` (any other exception).
 */
import { readFileSync } from 'node:fs';
import { readCheckpoint } from '@sngp/core/node';
import { exportModel } from '@sngp/export';
import { loadModel } from '@sngp/runtime';

/** A fixed batch for any input width: in-range rows, far rows, zeros. */
function fixedBatch(width) {
  const values = [0, 0.5, -1, 2.5, -1.75, 3, -3, 10, 0.25, -0.5];
  return Array.from({ length: 8 }, (_, r) => Array.from({ length: width }, (_, j) => values[(r * 3 + j) % values.length] * (r === 7 ? 50 : 1)));
}

/** The first non-finite or out-of-range value of a prediction, or null. */
function findNonFinite(p) {
  for (const key of ['probs', 'confidence', 'uncertainty', 'logits', 'variance']) {
    const a = p[key];
    if (a === undefined) continue;
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return `${key}[${i}] = ${a[i]}`;
  }
  for (let i = 0; i < p.predicted.length; i++)
    if (!(p.predicted[i] >= 0 && p.predicted[i] < p.numClasses)) return `predicted[${i}] = ${p.predicted[i]}`;
  return null;
}

async function runCase(c) {
  let model = null;
  try {
    const { bytes } = exportModel(readCheckpoint(c.dir));
    model = await loadModel(bytes, { device: 'cpu', onWarning: () => {} });
    const p = await model.predict(fixedBatch(model.info.inputDim));
    const bad = findNonFinite(p);
    return bad === null ? { outcome: 'finite', detail: '' } : { outcome: 'silent-nan', detail: `${c.label}: ${bad}` };
  } catch (e) {
    if (e && e.name === 'SngpError') return { outcome: 'rejected', detail: e.message.slice(0, 300) };
    return { outcome: 'crash', detail: `${c.label}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e)}` };
  } finally {
    if (model) await model.dispose().catch(() => {});
  }
}

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const c of cases) {
  process.stdout.write(`S ${c.index}\n`);
  const r = await runCase(c);
  process.stdout.write(`R ${JSON.stringify({ index: c.index, ...r })}\n`);
}
