/**
 * Issue #20 (tables): `predict` with row objects keyed by raw column name. The main job's SNGP
 * model (2 features) is given a preprocessing in its card (metadata rewritten), so the encoding
 * can be checked against the encoded path on the same graph: objects must give exactly the
 * probabilities of the equivalent encoded rows; unseen categories are encoded as missing and
 * reported; errors name the row and column; a corrupt `sngp.preprocessing` fails at load.
 */
import { readFileSync } from 'node:fs';
import { MODEL_CARD_KEYS, SngpError } from '@sngp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type SngpModel } from '../src/node.js';
import { modelPath } from './fixtures.js';
import { readMetadata, withMetadata } from './onnx-bytes.js';

const bytes = new Uint8Array(readFileSync(modelPath('sngp')));
const meta = readMetadata(bytes);

function withPreprocessing(featureNames: string[], preprocessing: unknown): Uint8Array {
  return withMetadata(bytes, { ...meta, [MODEL_CARD_KEYS.featureNames]: JSON.stringify(featureNames), [MODEL_CARD_KEYS.preprocessing]: JSON.stringify(preprocessing) });
}

const base = { version: 1, ignored: [{ name: 'id', reason: 'ignored' }], labelColumn: 'label', missingValues: [''], unseenCategory: 'missing' };
const numericPrep = {
  ...base,
  columns: [
    { name: 'u', kind: 'numeric', impute: 0.5, missingIndicator: false },
    { name: 'v', kind: 'numeric', impute: -0.25, missingIndicator: false },
  ],
};
const categoricalPrep = { ...base, columns: [{ name: 'c', kind: 'categorical', vocabulary: ['a', 'b'], missingIndicator: false }] };

let plain: SngpModel;
let numeric: SngpModel;
let categorical: SngpModel;
beforeAll(async () => {
  plain = await loadModel(bytes, { device: 'cpu' });
  numeric = await loadModel(withPreprocessing(['u', 'v'], numericPrep), { device: 'cpu' });
  categorical = await loadModel(withPreprocessing(['c=a', 'c=b'], categoricalPrep), { device: 'cpu' });
});
afterAll(async () => {
  await Promise.all([plain, numeric, categorical].map((m) => m?.dispose()));
});

describe('predict with row objects', () => {
  it('numeric columns: objects (numbers, numeric strings, missing) give the probabilities of the encoded rows', async () => {
    const objects = await numeric.predict([{ u: 0.5, v: 0.25 }, { u: '1.5', v: null, id: 'x' }, { v: 2, label: 'anything' }, { u: 'NA', v: '' }]);
    const encoded = await numeric.predict([[0.5, 0.25], [1.5, -0.25], [0.5, 2], [0.5, -0.25]]);
    expect(Array.from(objects.probs)).toEqual(Array.from(encoded.probs));
    expect(Array.from(objects.variance!)).toEqual(Array.from(encoded.variance!));
    expect(objects.unseenCategories).toEqual([]);
    expect(objects.missingCells).toEqual({ v: 2, u: 2 });
    expect(encoded.unseenCategories).toBeUndefined();
  });

  it('categorical columns: one-hot; an unseen category is encoded as missing (all zeros) and reported', async () => {
    const objects = await categorical.predict([{ c: 'a' }, { c: 'b' }, { c: 'zebra' }, { c: null }]);
    const encoded = await categorical.predict([[1, 0], [0, 1], [0, 0], [0, 0]]);
    expect(Array.from(objects.probs)).toEqual(Array.from(encoded.probs));
    expect(objects.unseenCategories).toEqual([{ row: 2, column: 'c', value: 'zebra' }]);
    expect(objects.missingCells).toEqual({ c: 1 });
  });

  it('without preprocessing, objects are keyed by featureNames', async () => {
    const [f0, f1] = plain.info.featureNames;
    const objects = await plain.predict([{ [f0]: 0.1, [f1]: -0.3 }]);
    const encoded = await plain.predict([[0.1, -0.3]]);
    expect(Array.from(objects.probs)).toEqual(Array.from(encoded.probs));
    const err = await plain.predict([{ [f0]: 0.1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SngpError);
    expect((err as Error).message).toMatch(new RegExp(`row 0, column "${f1}": expected a finite number, got nothing`));
  });

  it('errors name the row and the column', async () => {
    const message = async (m: SngpModel, rows: unknown[]): Promise<string> => {
      const e = await m.predict(rows as never).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SngpError);
      return (e as Error).message;
    };
    expect(await message(numeric, [{ u: 1, v: 2 }, { u: 'tall', v: 2 }])).toMatch(/row 1, column "u": expected a number \(the column was numeric in training\), got text "tall"/);
    expect(await message(numeric, [{ u: 1, w: 2 }])).toMatch(/row 0: unknown column "w"; the model's columns are: u, v/);
    expect(await message(numeric, [{ u: 1 }, 'x'])).toMatch(/row 1 is text "x", expected an object/);
    expect(await message(numeric, [{ u: 1e39 }])).toMatch(/row 0, column "u": 1e\+39 is outside the float32 range/);
  });
});

describe('sngp.preprocessing in the card', () => {
  it('a corrupt or mismatched sngp.preprocessing is refused at load with the key named', async () => {
    const bad = async (b: Uint8Array): Promise<string> => {
      const e = await loadModel(b, { device: 'cpu' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SngpError);
      return (e as Error).message;
    };
    expect(await bad(withMetadata(bytes, { ...meta, [MODEL_CARD_KEYS.preprocessing]: '[1,2' }))).toMatch(/"sngp\.preprocessing" is not valid JSON; re-export/);
    expect(await bad(withPreprocessing(['u', 'v'], { ...numericPrep, unseenCategory: 'ignore' }))).toMatch(/"sngp\.preprocessing": field "unseenCategory"/);
    expect(await bad(withPreprocessing(['u', 'w'], numericPrep))).toMatch(/encodes features .* but "sngp\.feature_names"/);
  });
});
