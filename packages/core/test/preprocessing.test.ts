import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MODEL_CARD_KEYS,
  SngpError,
  decodeModelCard,
  encodeModelCard,
  encodeRows,
  encodeTable,
  encodedFeatureNames,
  fitPreprocessing,
  isMissingCell,
  parseCheckpointConfig,
  parseCsv,
  parsePreprocessing,
  parseCsvTable,
  type ModelCard,
  type Preprocessing,
} from '../src/index.js';
import { csvFileFeed, readCsvFile, readCsvTable, readTableWith } from '../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-prep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const MIXED = [
  'id,age,sex,site,blank,label',
  '1,30,male,A,,yes',
  '2,,female,B,NA,no',
  '3,50,female,NA,,yes',
  '4,40,male,C,?,no',
  '5,60,Male,A,,yes',
].join('\n');

describe('missing cells and kinds', () => {
  it('reads the documented missing spellings, case-insensitively', () => {
    for (const s of ['', 'NA', 'na', 'N/A', 'NaN', 'nan', 'NULL', 'None', '?', '  NA  ']) expect(isMissingCell(s), s).toBe(true);
    for (const s of ['0', 'n', 'missing', '-', 'NAN1', 'Nana']) expect(isMissingCell(s), s).toBe(false);
  });

  it('a text column is categorical (sorted vocabulary, case kept), a numeric one with gaps gets NaN; an all-missing column is ignored with a warning', async () => {
    const warnings: string[] = [];
    const t = await parseCsvTable(MIXED, { ignore: ['id'], onWarning: (w) => warnings.push(w) });
    expect(t.layout).not.toBeNull();
    const layout = t.layout!;
    expect(layout.columns).toEqual([
      { name: 'age', kind: 'numeric', categories: [] },
      { name: 'sex', kind: 'categorical', categories: ['Male', 'female', 'male'] },
      { name: 'site', kind: 'categorical', categories: ['A', 'B', 'C'] },
    ]);
    expect(layout.ignored).toEqual([
      { name: 'id', reason: 'ignored' },
      { name: 'blank', reason: 'all-missing' },
    ]);
    expect(warnings.join('\n')).toMatch(/column "blank" is empty or missing in all 5 rows; left out/);
    expect(Number.isNaN(t.dataset.x[1 * 3 + 0])).toBe(true); // row 2 age
    expect(t.dataset.x[0 * 3 + 1]).toBe(2); // "male" is code 2
  });

  it('fits medians and indicators on the given rows only, and encodes with the documented names', async () => {
    const t = await parseCsvTable(MIXED, { ignore: ['id'] });
    // Training rows 0, 1, 2 (ages 30, missing, 50): median 40; row 4 (age 60) must not count.
    const p = fitPreprocessing(t.dataset, t.layout!, [0, 1, 2]);
    const age = p.columns[0];
    expect(age).toEqual({ name: 'age', kind: 'numeric', impute: 40, missingIndicator: true });
    const sex = p.columns[1];
    expect(sex.kind === 'categorical' && sex.vocabulary).toEqual(['female', 'male']);
    expect(encodedFeatureNames(p)).toEqual(['age', 'age_missing', 'sex=female', 'sex=male', 'site=A', 'site=B', 'site_missing']);
    const e = encodeTable(t.dataset, t.layout!, p);
    const row = (i: number): number[] => Array.from(e.dataset.x.subarray(i * 7, i * 7 + 7));
    expect(row(1)).toEqual([40, 1, 1, 0, 0, 1, 0]);
    expect(row(2)).toEqual([50, 0, 1, 0, 0, 0, 1]);
    // Site "C" and sex "Male" are not in the training rows' vocabularies: unseen, encoded as missing.
    expect(row(3)).toEqual([40, 0, 0, 1, 0, 0, 1]);
    expect(row(4)).toEqual([60, 0, 0, 0, 1, 0, 0]);
    expect(e.report.unseenCounts).toEqual({ site: 1, sex: 1 });
  });

  it('a purely numeric CSV loads exactly as before, with no layout', async () => {
    const text = 'a,b,label\n1,2.5,x\n3,-4e3,y\n';
    const t = await parseCsvTable(text);
    expect(t.layout).toBeNull();
    const plain = parseCsv(text);
    expect(Array.from(t.dataset.x)).toEqual(Array.from(plain.x));
    const path = file('numeric.csv', text);
    const streamed = await readCsvTable(path);
    expect(streamed.layout).toBeNull();
    expect(Array.from(streamed.dataset.x)).toEqual(Array.from((await readCsvFile(path)).x));
    expect(streamed.dataset.featureNames).toEqual(['a', 'b']);
  });
});

describe('column selection and caps', () => {
  it('--features keeps only those columns in that order; --ignore leaves columns out; both are recorded', async () => {
    const t = await parseCsvTable('a,b,c,label\n1,2,3,x\n4,5,6,y\n', { features: ['c', 'a'] });
    expect(t.layout!.columns.map((c) => c.name)).toEqual(['c', 'a']);
    expect(t.layout!.ignored).toEqual([{ name: 'b', reason: 'not-selected' }]);
    expect(Array.from(t.dataset.x)).toEqual([3, 1, 6, 4]);
    const u = await parseCsvTable('a,b,c,label\n1,2,3,x\n4,5,6,y\n', { ignore: ['b'] });
    expect(u.layout!.columns.map((c) => c.name)).toEqual(['a', 'c']);
    expect(u.layout!.ignored).toEqual([{ name: 'b', reason: 'ignored' }]);
  });

  it('unknown names in --features / --ignore are errors listing the columns', async () => {
    await expect(parseCsvTable('a,b,label\n1,2,x\n', { features: ['a', 'zz'] })).rejects.toThrow(
      /--features names column "zz", which is not in the file \(columns: a, b, label\)/,
    );
    await expect(parseCsvTable('a,b,label\n1,2,x\n', { ignore: ['q'] })).rejects.toThrow(/--ignore names column "q".*columns: a, b, label/);
    await expect(parseCsvTable('a,b,label\n1,2,x\n', { ignore: ['label'] })).rejects.toThrow(/the label column/);
  });

  it('a text column with too many distinct values is an error naming it and suggesting --ignore', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => `name${i},${i % 2}`);
    await expect(parseCsvTable(['name,label', ...rows].join('\n'))).rejects.toThrow(/text column "name" has more than 100 distinct values.*--ignore name/);
    const ids = Array.from({ length: 40 }, (_, i) => `p${i},${i},${i % 2}`);
    await expect(parseCsvTable(['pid,x,label', ...ids].join('\n'))).rejects.toThrow(/"pid" has 40 distinct values in 40 rows.*--ignore pid/);
  });

  it('warns when the default label column looks like a numeric feature next to a text column', async () => {
    const warnings: string[] = [];
    const rows = Array.from({ length: 40 }, (_, i) => `${i % 2 ? 'setosa' : 'virginica'},${i * 1.5}`);
    await parseCsvTable(['species,length', ...rows].join('\n'), { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([expect.stringMatching(/label column "length" \(the last column\) has more than 20 distinct numbers; .*--label-column/)]);
    warnings.length = 0;
    await parseCsvTable(['species,length', ...rows].join('\n'), { labelColumn: 'species', onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
  });

  it('ragged rows and bad quoting are still one clear error', async () => {
    await expect(parseCsvTable('a,b,label\nx,1,y\n1,2\n')).rejects.toThrow(/row 3 has 2 fields, expected 3/);
    await expect(parseCsvTable('a,b,label\nx,"1,y\n')).rejects.toThrow(SngpError);
  });
});

describe('encodeRows and readTableWith (inference)', () => {
  const prep: Preprocessing = parsePreprocessing({
    version: 1,
    columns: [
      { name: 'age', kind: 'numeric', impute: 40, missingIndicator: true },
      { name: 'sex', kind: 'categorical', vocabulary: ['female', 'male'], missingIndicator: false },
    ],
    ignored: [{ name: 'id', reason: 'ignored' }],
    labelColumn: 'label',
    missingValues: [],
    unseenCategory: 'missing',
  });

  it('encodes objects like the encoded path, reports unseen categories, and names row and column in errors', () => {
    const r = encodeRows([{ age: 30, sex: 'male', id: 7 }, { age: null, sex: 'other' }, { sex: 'female', label: 'x', age: '51' }], prep, []);
    expect(Array.from(r.x)).toEqual([30, 0, 0, 1, 40, 1, 0, 0, 51, 0, 1, 0]);
    expect(r.report.unseen).toEqual([{ row: 1, column: 'sex', value: 'other' }]);
    expect(() => encodeRows([{ age: 1, sex: 'male' }, { age: 'old', sex: 'male' }], prep, [])).toThrow(
      /row 1, column "age": expected a number \(the column was numeric in training\), got text "old"/,
    );
    expect(() => encodeRows([{ agee: 1 }], prep, [])).toThrow(/row 0: unknown column "agee"; the model's columns are: age, sex/);
    expect(() => encodeRows([{ age: Infinity }], prep, [])).toThrow(/row 0, column "age"/);
  });

  it('without preprocessing, objects are keyed by featureNames and every value must be a number', () => {
    expect(Array.from(encodeRows([{ x: 1, y: '2' }], null, ['x', 'y']).x)).toEqual([1, 2]);
    expect(() => encodeRows([{ x: 1 }], null, ['x', 'y'])).toThrow(/row 0, column "y": expected a finite number, got nothing/);
  });

  it('a file column numeric in training and text in the file is an error naming file, row, column and value', async () => {
    const path = file('bad.csv', 'id,age,sex,label\n1,30,male,a\n2,old,female,b\n');
    await expect(readTableWith(csvFileFeed(path), prep, { source: path })).rejects.toThrow(
      new RegExp(`${path.replace(/[/.]/g, '\\$&')}: row 3, column "age": expected a number .*got "old"`),
    );
    const ok = file('ok.csv', 'sex,age,label\nmale,,a\nother,20,b\n');
    const r = await readTableWith(csvFileFeed(ok), prep, { source: ok });
    expect(Array.from(r.dataset.x)).toEqual([40, 1, 0, 1, 20, 0, 0, 0]);
    expect(r.report.missing).toEqual({ age: 1 });
    expect(r.report.unseen).toEqual([{ row: 3, column: 'sex', value: 'other' }]);
  });
});

describe('the contract in checkpoint.json and the model card', () => {
  const prep = {
    version: 1,
    columns: [{ name: 'sex', kind: 'categorical', vocabulary: ['f', 'm'], missingIndicator: true }],
    ignored: [],
    labelColumn: 'y',
    missingValues: [''],
    unseenCategory: 'missing',
  };
  const card: ModelCard = {
    formatVersion: 1,
    method: 'deterministic',
    classes: ['a', 'b'],
    featureNames: ['sex=f', 'sex=m', 'sex_missing'],
    meanFieldFactor: null,
    numSamples: null,
    dropoutNoiseShape: null,
    graphProbs: false,
    trainingMetrics: {},
    preprocessing: prep as Preprocessing,
  };
  const props = (): Record<string, string> => Object.fromEntries(encodeModelCard(card).map((e) => [e.key, e.value]));

  it('round-trips sngp.preprocessing; a card without it decodes without the field', () => {
    expect(decodeModelCard(props()).preprocessing).toEqual(prep);
    const { preprocessing: _, ...plain } = card;
    const decoded = decodeModelCard(Object.fromEntries(encodeModelCard(plain).map((e) => [e.key, e.value])));
    expect('preprocessing' in decoded).toBe(false);
  });

  it('a corrupt sngp.preprocessing is a clear error at load naming the key and what to do', () => {
    const bad = (mutate: (p: Record<string, unknown>) => void): Record<string, string> => {
      const p = JSON.parse(JSON.stringify(prep));
      mutate(p);
      return { ...props(), [MODEL_CARD_KEYS.preprocessing]: JSON.stringify(p) };
    };
    expect(() => decodeModelCard({ ...props(), [MODEL_CARD_KEYS.preprocessing]: '{oops' }, 'm.onnx')).toThrow(
      /m\.onnx: model card key "sngp\.preprocessing" is not valid JSON; re-export/,
    );
    expect(() => decodeModelCard(bad((p) => ((p.columns as { kind: string }[])[0].kind = 'text')), 'm.onnx')).toThrow(
      /m\.onnx: model card key "sngp\.preprocessing": field "columns\.0\.kind".*re-export the model/,
    );
    expect(() => decodeModelCard(bad((p) => (p.version = 2)), 'm.onnx')).toThrow(/field "version"/);
    expect(() => decodeModelCard(bad((p) => ((p.columns as { vocabulary: string[] }[])[0].vocabulary = ['f'])), 'm.onnx')).toThrow(
      /encodes features .* but "sngp\.feature_names" is/,
    );
  });

  it('checkpoint.json: preprocessing is optional and must match featureNames', () => {
    const base = {
      format: 'sngp-checkpoint',
      formatVersion: 1,
      method: 'deterministic',
      hyperParameters: { inputDim: 3, numClasses: 2, hiddenDim: 4, numLayers: 0, dropoutRate: 0, specNormBound: 0.9, numRandomFeatures: 8, ridge: 1, meanFieldFactor: 0.3, ensembleSize: 1, mcSamples: 1 },
      training: { data: 'x.csv', labelColumn: null, epochs: 1, batchSize: 1, learningRate: 0.1, seed: 0, trainRows: 2, validationRows: 0 },
      classes: ['a', 'b'],
      featureNames: ['sex=f', 'sex=m', 'sex_missing'],
      standardization: null,
      metrics: {},
      versions: {},
      backend: 'cpu',
      createdAt: '2026-12-07T00:00:00Z',
    };
    expect(parseCheckpointConfig(base).preprocessing).toBeUndefined();
    expect(parseCheckpointConfig({ ...base, preprocessing: prep }).preprocessing).toEqual(prep);
    expect(() => parseCheckpointConfig({ ...base, featureNames: ['a', 'b', 'c'], preprocessing: prep })).toThrow(/encodes features \[sex=f, sex=m, sex_missing\] but featureNames/);
    expect(() => parseCheckpointConfig({ ...base, preprocessing: { ...prep, unseenCategory: 'error' } })).toThrow(/field "preprocessing.unseenCategory"/);
  });
});
