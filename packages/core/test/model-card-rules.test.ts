import { describe, expect, it } from 'vitest';
import { type ModelCard, decodeModelCard, encodeModelCard } from '../src/index.js';

const base: ModelCard = {
  formatVersion: 1, method: 'deterministic', classes: ['a', 'b'], featureNames: ['x', 'y'],
  meanFieldFactor: null, numSamples: null, dropoutNoiseShape: null, graphProbs: false, trainingMetrics: {},
};
const conformal = { alpha: 0.1, score: 'aps' as const, quantile: 0.93, n: 200, source: 'cal.csv' };
const abstain = {
  score: 'logNonMax' as const, threshold: -3.2, target: { kind: 'keep' as const, value: 0.95 }, n: 200,
  keptFraction: 0.95, errorAmongKept: 0.01, oodCaught: 0.9, oodRows: 50, source: 'cal.csv',
};
const props = (card: ModelCard, changes: Record<string, string | undefined> = {}): Record<string, string> => {
  const p: Record<string, string> = Object.fromEntries(encodeModelCard(card).map(({ key, value }) => [key, value]));
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete p[k]; else p[k] = v;
  return p;
};
const withRules = { ...base, conformal, abstain };
const json = (v: unknown) => JSON.stringify(v);

describe('model card: sngp.conformal and sngp.abstain', () => {
  it('round-trip', () => {
    const back = decodeModelCard(props(withRules));
    expect(back.conformal).toEqual(conformal);
    expect(back.abstain).toEqual(abstain);
    const raps = { ...conformal, score: 'raps' as const, kReg: 1, lambda: 0.01 };
    expect(decodeModelCard(props({ ...base, conformal: raps })).conformal).toEqual(raps);
  });
  it('a card without rules decodes without the fields', () => {
    const back = decodeModelCard(props(base));
    expect('conformal' in back).toBe(false);
    expect('abstain' in back).toBe(false);
  });

  const C = 'sngp.conformal';
  const A = 'sngp.abstain';
  const cases: [string, Record<string, string>, RegExp][] = [
    ['alpha 0', { [C]: json({ ...conformal, alpha: 0 }) }, /m.onnx: model card key "sngp.conformal" field "alpha": .*>0.*; re-run sngp-calibrate/],
    ["alpha 1.2", { [C]: json({ ...conformal, alpha: 1.2 }) }, /"sngp.conformal" field "alpha": .*<1 \(got 1.2\)/],
    ['NaN quantile (JSON null)', { [C]: json({ ...conformal, quantile: NaN }) }, /"sngp.conformal" field "quantile": .*expected number, received null/],
    ['quantile as the text NaN', { [C]: json({ ...conformal, quantile: 'NaN' }) }, /"sngp.conformal" field "quantile": .*expected number, received string/],
    ['unknown score', { [C]: json({ ...conformal, score: 'thr' }) }, /"sngp.conformal" field "score": .*"lac"\|"aps"\|"raps"/],
    ['raps without its parameters', { [C]: json({ ...conformal, score: 'raps' }) }, /field "kReg": RAPS needs kReg and lambda/],
    ['lac with raps parameters', { [C]: json({ ...conformal, score: 'lac', kReg: 2, lambda: 0.1 }) }, /kReg and lambda belong to RAPS only, not lac/],
    ['randomized lac', { [C]: json({ ...conformal, score: 'lac', randomized: true }) }, /field "randomized": randomized belongs to APS and RAPS only, not lac/],
    ['randomized not a boolean', { [C]: json({ ...conformal, score: 'aps', randomized: 'yes' }) }, /"sngp.conformal" field "randomized": .*expected boolean/],
    ['n 0', { [C]: json({ ...conformal, n: 0 }) }, /"sngp.conformal" field "n"/],
    ['n too small for alpha', { [C]: json({ ...conformal, n: 5 }) }, /field "n": 5 rows are too few for alpha 0.1 \(need at least 9\)/],
    ['unknown field', { [C]: json({ ...conformal, extra: 1 }) }, /"sngp.conformal": .*extra/],
    ['not JSON', { [C]: '{alpha' }, /"sngp.conformal" is not valid JSON/],
    ['unknown abstain score', { [A]: json({ ...abstain, score: 'margin' }) }, /"sngp.abstain" field "score": .*"logNonMax"\|"entropy"\|"variance"/],
    ['variance on a deterministic model', { [A]: json({ ...abstain, score: 'variance' }) }, /"variance" exists for SNGP models only, this is deterministic/],
    ['infinite threshold (JSON null)', { [A]: json({ ...abstain, threshold: Infinity }) }, /"sngp.abstain" field "threshold"/],
    ['keep 0', { [A]: json({ ...abstain, target: { kind: 'keep', value: 0 } }) }, /"sngp.abstain" field "target.value"/],
    ['maxError 1', { [A]: json({ ...abstain, target: { kind: 'maxError', value: 1 } }) }, /"sngp.abstain" field "target.value"/],
    ['unknown target kind', { [A]: json({ ...abstain, target: { kind: 'most', value: 0.5 } }) }, /"sngp.abstain" field "target.kind"/],
    ['oodCaught without oodRows', { [A]: json({ ...abstain, oodRows: undefined }) }, /field "oodRows": oodCaught and oodRows go together/],
  ];
  it.each(cases)('rejects %s', (_name, changes, pattern) => {
    expect(() => decodeModelCard(props(withRules, changes), 'm.onnx')).toThrow(pattern);
  });
});
