/**
 * sngp-calibrate's run: choose the decision rules of exported models on held-out labelled rows
 * (split-conformal prediction sets and an abstain threshold) and write them into each model's
 * card, so every runtime that loads the file returns the same sets and abstain flags.
 *
 * The rows go through the runtime's own `predict` with the model's calibrated settings: the rule is
 * chosen on exactly the log-probabilities and scores it will be applied to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  type AbstainRule,
  type AbstainTarget,
  type ConformalRule,
  type ConformalScore,
  DEFAULT_ABSTAIN_TARGET,
  DEFAULT_CONFORMAL_ALPHA,
  DEFAULT_UNCERTAINTY_SCORE,
  MODEL_CARD_KEYS,
  SngpError,
  type UncertaintyScoreName,
  type UncertaintyScores,
  calibrateConformal,
  chooseAbstainRule,
  conformalRank,
  moonsDecisionCalibration,
  predictionSets,
  readOnnxHeader,
  withDecisionRules,
  rowUniforms,
  setCoverage,
} from '@sngp/core';
import { ONNX_MODEL_OUTPUT, checkOutputPath, writeFileAtomic } from '@sngp/core/node';
import { type Device, loadModel } from '@sngp/runtime';
import { dataForModel, loadEvalData } from './data.js';
import { loadEvalModel } from './load.js';
import { type DataOptions, checkDataOptions, loadOodFile } from './user-data.js';

/** What to calibrate and how. The data flags are those of {@link DataOptions} (`--data moons` uses a held-out draw). */
export interface CalibrateOptions extends DataOptions {
  /** Exported .onnx models; each is rewritten in place unless `out` is given (one model only). */
  models: string[];
  /** Write the calibrated model here instead of in place (one model only). */
  out?: string;
  /** Replace an existing `out` that is not an ONNX model of ours. */
  force?: boolean;
  /** Where the runtime runs the rows. */
  device?: Device;
  /** Conformal sets' score, or null for no sets (default `lac`); RAPS takes `kReg` / `lambda`, APS / RAPS `randomized`. */
  conformal?: ConformalScore | null;
  /** Miscoverage alpha in (0, 1) (default 0.1: sets hold the true class of 90 % of rows). */
  alpha?: number;
  /** Abstain target, or null for no abstain rule (default: keep 95 % of in-domain rows). */
  abstain?: AbstainTarget | null;
  /** The score the abstain threshold applies to (default `logNonMax`). */
  abstainScore?: UncertaintyScoreName;
  /** Receives warnings. */
  warn?: (msg: string) => void;
}

/** What one model got. */
export interface CalibrationResult {
  /** The model read. */
  model: string;
  /** The model written. */
  out: string;
  /** Its method. */
  method: string;
  /** The conformal rule written, or null. */
  conformal: ConformalRule | null;
  /**
   * The sets on the calibration rows themselves: coverage r / n by construction (ties aside) and
   * the mean set size; `expected` is ceil((n + 1)(1 - alpha)) / (n + 1), what new rows get on average.
   */
  sets: { expected: number; calibrationCoverage: number; meanSize: number } | null;
  /** The abstain rule written (kept fraction, error among kept, OOD caught), or null. */
  abstain: AbstainRule | null;
  /** A Triton repository's `sngp-card.json` updated beside the model, or null. */
  tritonCard: string | null;
}

/**
 * The decision rules of one model from its predictions of held-out rows (pure).
 * @param pred - the runtime's float64 log-probabilities, predictions and scores of the rows, and
 *   their uniforms (core's rowUniforms of the features) for randomized APS / RAPS.
 * @param labels - their true class indices.
 * @param k - classes.
 * @param ood - the runtime's scores of OOD rows, or null.
 * @param opts - the rules to choose and where the rows came from.
 * @returns the rules and what the sets do on the rows.
 * @throws SngpError from core's calibrators (too few rows, a non-finite score, an unreachable target).
 */
export function decisionRules(
  pred: { logProbs: Float64Array; predicted: Int32Array; scores: UncertaintyScores; uniforms: Float64Array },
  labels: Int32Array,
  k: number,
  ood: UncertaintyScores | null,
  opts: Pick<CalibrateOptions, 'conformal' | 'alpha' | 'abstain' | 'abstainScore'> & { source: string; oodSource?: string },
): Pick<CalibrationResult, 'conformal' | 'sets' | 'abstain'> {
  const score = opts.conformal === undefined ? { score: 'lac' as const } : opts.conformal;
  const alpha = opts.alpha ?? DEFAULT_CONFORMAL_ALPHA;
  let conformal: ConformalRule | null = null;
  let sets: CalibrationResult['sets'] = null;
  if (score) {
    conformal = calibrateConformal(pred.logProbs, k, labels, { ...score, alpha, source: opts.source, uniforms: pred.uniforms });
    const s = setCoverage(predictionSets(pred.logProbs, k, conformal, pred.uniforms), labels);
    sets = { expected: conformalRank(conformal.n, alpha) / (conformal.n + 1), calibrationCoverage: s.coverage, meanSize: s.meanSize };
  }
  const target = opts.abstain === undefined ? DEFAULT_ABSTAIN_TARGET : opts.abstain;
  let abstain: AbstainRule | null = null;
  if (target) {
    const name = opts.abstainScore ?? DEFAULT_UNCERTAINTY_SCORE;
    const scores = pred.scores[name];
    if (!scores) throw new SngpError(`--abstain-score ${name}: this model has no "${name}" score (${Object.keys(pred.scores).join(', ')})`);
    const correct = Uint8Array.from(pred.predicted, (c, i) => (c === labels[i] ? 1 : 0));
    const oodScores = ood?.[name];
    abstain = chooseAbstainRule(scores, correct, target, { score: name, source: opts.source, oodScores });
  }
  return { conformal, sets, abstain };
}

/**
 * `<repo>/<name>/<version>/model.onnx` with `<repo>/<name>/sngp-card.json` beside it, as sngp-export
 * --triton writes it (a JSON object with the `sngp.method` key): that card file. A file of that
 * name that is not such a card is left alone.
 */
function tritonCardOf(modelPath: string): string | null {
  if (basename(modelPath) !== 'model.onnx' || !/^\d+$/.test(basename(dirname(modelPath)))) return null;
  const card = join(dirname(dirname(modelPath)), 'sngp-card.json');
  if (!existsSync(card)) return null;
  try {
    const parsed: unknown = JSON.parse(readFileSync(card, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && MODEL_CARD_KEYS.method in parsed ? card : null;
  } catch {
    return null;
  }
}

/**
 * Calibrate decision rules for each model and write them into its card.
 * @param opts - models, data and rules.
 * @param log - progress lines.
 * @returns per model what was written.
 * @throws SngpError for bad flags, unreadable files, data that does not fit a model, too few rows,
 *   or a refused output path; nothing is written for a model whose rules cannot be chosen.
 */
export async function runCalibration(opts: CalibrateOptions, log: (msg: string) => void = () => {}): Promise<CalibrationResult[]> {
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  if (opts.models.length === 0) throw new SngpError('no model files given');
  if (opts.out !== undefined && opts.models.length > 1) throw new SngpError(`--out names one file, but ${opts.models.length} models were given; leave --out out to calibrate each in place`);
  if (opts.conformal === null && opts.abstain === null) throw new SngpError('nothing to calibrate: --no-sets together with --abstain none');
  checkDataOptions(opts);
  if (opts.data === 'moons' && opts.classes) throw new SngpError('--classes is for a --data file; "moons" calibrates on both classes of its held-out draw');
  const inputs = [opts.labels, opts.ood, opts.oodLabels, ...(opts.data === 'moons' ? [] : [opts.data])].filter((f): f is string => f !== undefined);
  // Every output is checked before any model is loaded, so a refused path fails at once.
  const outs = opts.models.map((m) => opts.out ?? m);
  for (const out of outs) checkOutputPath(out, ONNX_MODEL_OUTPUT, { force: opts.force, inputs, flag: '--out' });
  const results: CalibrationResult[] = [];
  for (let i = 0; i < opts.models.length; i++) {
    const file = opts.models[i];
    const model = await loadEvalModel(file, opts.device, warn);
    const method = model.info.method;
    let rules: Pick<CalibrationResult, 'conformal' | 'sets' | 'abstain'>;
    try {
      const { info } = model;
      let rows: { x: Float32Array; y: Int32Array; n: number };
      let oodX: Float32Array | null = null;
      let source: string;
      if (opts.data === 'moons') {
        const m = moonsDecisionCalibration();
        rows = { x: m.inDomain.x, y: m.inDomain.y as Int32Array, n: m.inDomain.n }; // a labelled draw
        source = 'moons (held-out draw, seed + 4)';
        oodX = opts.ood ? (await loadOodFile(opts, info, file, warn)).dataset.x : m.ood.x;
      } else {
        const data = dataForModel(await loadEvalData(opts, { info, file }, warn), info, file, warn);
        if (!data.test.y) throw new SngpError(`${opts.data}: calibration rows need labels`);
        rows = { x: data.test.x, y: data.test.y, n: data.test.n };
        source = basename(opts.data);
        oodX = data.ood?.x ?? null;
      }
      // The card's calibrated settings (no overrides): what predict applies the rules with.
      const pred = await model.predict(rows.x);
      const ood = oodX ? (await model.predict(oodX)).scores : null;
      rules = decisionRules({ ...pred, uniforms: rowUniforms(rows.x, info.inputDim) }, rows.y, info.classes.length, ood, { ...opts, source });
    } finally {
      await model.dispose();
    }
    const next = withDecisionRules(new Uint8Array(readFileSync(file)), rules, file);
    await checkWritten(next, file, rules);
    const out = outs[i];
    writeFileAtomic(out, next, { kind: ONNX_MODEL_OUTPUT, force: opts.force });
    const tritonCard = tritonCardOf(out);
    if (tritonCard) writeFileAtomic(tritonCard, JSON.stringify(readOnnxHeader(next, out).metadata, null, 2) + '\n');
    results.push({ model: file, out, method, ...rules, tritonCard });
    log(describeCalibration(results[results.length - 1]));
  }
  return results;
}

/** Load the new bytes with the runtime before writing: the card validates and the rules come back out of predict. */
async function checkWritten(bytes: Uint8Array, file: string, rules: Pick<CalibrationResult, 'conformal' | 'abstain'>): Promise<void> {
  const m = await loadModel(bytes, { device: 'cpu' });
  try {
    const p = await m.predict(new Float32Array(m.info.inputDim));
    if ((rules.conformal !== null) !== (p.setMask !== undefined) || (rules.abstain !== null) !== (p.abstain !== undefined))
      throw new SngpError(`${file}: the calibrated model does not return the rules written into it; nothing written`);
  } finally {
    await m.dispose();
  }
}

/** One line per model: what sngp-calibrate wrote and what it achieved on the calibration rows. */
export function describeCalibration(r: CalibrationResult): string {
  const parts: string[] = [];
  if (r.conformal && r.sets)
    parts.push(
      `${r.conformal.randomized ? 'randomized ' : ''}${r.conformal.score.toUpperCase()} sets at alpha ${r.conformal.alpha} on ${r.conformal.n} rows: quantile ${r.conformal.quantile.toPrecision(6)}, ` +
        `expected coverage ${r.sets.expected.toFixed(4)}, mean size ${r.sets.meanSize.toFixed(3)} on the calibration rows`,
    );
  if (r.abstain) {
    const a = r.abstain;
    const target = a.target.kind === 'keep' ? `keep ${a.target.value}` : `max error ${a.target.value}`;
    parts.push(
      `abstain when ${a.score} > ${a.threshold.toPrecision(6)} (${target}): kept ${a.keptFraction.toFixed(4)}, error among kept ${a.errorAmongKept.toFixed(4)}` +
        (a.oodCaught === undefined ? '' : `, OOD caught ${a.oodCaught.toFixed(4)} of ${a.oodRows} rows`),
    );
  }
  return `${r.out} (${r.method}): ${parts.join('; ')}`;
}
