import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SngpError } from '@sngp/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnnxHeader } from '../src/onnx-metadata.js';
import { loadModel, type SngpModel } from '../src/node.js';
import { modelPath } from './fixtures.js';

let model: SngpModel;
beforeAll(async () => {
  model = await loadModel(modelPath('sngp'), { device: 'cpu' });
});
afterAll(() => model.dispose());

async function predictError(features: unknown, options = {}): Promise<string> {
  const err = await model.predict(features as number[][], options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SngpError);
  return (err as Error).message;
}

describe('input validation names row and column', () => {
  it('empty input', async () => {
    expect(await predictError([])).toBe('features: empty input (no rows to predict)');
    expect(await predictError(new Float32Array(0))).toBe('features: empty input (no rows to predict)');
  });

  it('wrong width', async () => {
    expect(await predictError([[1, 2], [1, 2, 3]])).toMatch(/^features\[1\]: expected 2 values \(.+, .+\), got 3$/);
    expect(await predictError(new Float32Array(5))).toMatch(/Float32Array length 5 is not a multiple of the model's 2 features/);
    expect(await predictError(new Float32Array(6), { rows: 2 })).toMatch(/length 6 does not match rows 2 x 2 features/);
  });

  it('NaN and Infinity', async () => {
    expect(await predictError([[0, 0], [0, 0], [1, NaN]])).toMatch(/^features\[2\]\[1\] \(column 1 ".+"\): NaN is not a finite number$/);
    expect(await predictError([[-Infinity, 0]])).toMatch(/^features\[0\]\[0\] \(column 0 ".+"\): -Infinity is not a finite number$/);
    expect(await predictError(Float32Array.of(0, 0, 0, 0, 0, Infinity))).toMatch(/^features\[5\] \(row 2, column 1 ".+"\): Infinity/);
    expect(await predictError([[1e300, 0]])).toMatch(/outside the float32 range/);
  });

  it('non-numeric values', async () => {
    expect(await predictError([[1, '2']])).toMatch(/^features\[0\]\[1\] \(column 1 ".+"\): expected a number, got string "2"$/);
    expect(await predictError([[1, null]])).toMatch(/features\[0\]\[1\].*got null/);
    expect(await predictError([[1, 2], 'ab'])).toMatch(/^features\[1\]: expected an array of 2 numbers .*got string "ab"$/);
    expect(await predictError('1,2')).toMatch(/^features: expected number\[\]\[\] or Float32Array, got string/);
  });

  it('bad options', async () => {
    expect(await predictError([[0, 0]], { batchSize: 0 })).toMatch(/options.batchSize: expected a positive integer, got 0/);
    expect(await predictError([[0, 0]], { meanFieldFactor: NaN })).toMatch(/options.meanFieldFactor/);
  });

  it('a disposed model refuses to predict', async () => {
    const m = await loadModel(modelPath('deterministic'), { device: 'cpu' });
    await m.dispose();
    await expect(m.predict([[0, 0]])).rejects.toThrow(/disposed/);
  });
});

describe('model files', () => {
  const dir = tmpdir();
  const write = (name: string, data: Uint8Array | string): string => {
    const p = join(dir, `sngp-runtime-${process.pid}-${name}`);
    writeFileSync(p, data);
    return p;
  };

  it('reads the model card from metadata_props', () => {
    const header = readOnnxHeader(new Uint8Array(readFileSync(modelPath('mc-dropout'))), 'm');
    expect(header.irVersion).toBe(8);
    expect(header.opsets).toContainEqual({ domain: '', version: 17 });
    expect(header.metadata['sngp.method']).toBe('mc-dropout');
    expect(JSON.parse(header.metadata['sngp.dropout_noise_shape'])).toEqual([2, 32]);
  });

  it('not ONNX at all', async () => {
    const p = write('text.onnx', '{"hello": "world"}\n');
    await expect(loadModel(p)).rejects.toThrow(new RegExp(`^${p}: not an ONNX model`));
    await expect(loadModel(new Uint8Array(0))).rejects.toThrow(/not an ONNX model/);
  });

  it('ONNX without our model card', async () => {
    // Same model with the metadata_props (field 14) entries dropped: a valid ONNX file of someone else's.
    const bytes = new Uint8Array(readFileSync(modelPath('deterministic')));
    const stripped = stripField(bytes, 14);
    expect(stripped.length).toBeLessThan(bytes.length);
    const p = write('plain.onnx', stripped);
    await expect(loadModel(p)).rejects.toThrow(`${p}: not an SNGP toolkit model (metadata key "sngp.method" is missing)`);
  });

  it('missing file and directory', async () => {
    await expect(loadModel(join(dir, 'does-not-exist.onnx'))).rejects.toThrow(/does-not-exist.onnx: cannot read the model: no such file/);
    await expect(loadModel(dir)).rejects.toThrow(/is a directory/);
  });
});

/** Remove every top-level length-delimited protobuf field `field` (test helper). */
function stripField(buf: Uint8Array, field: number): Uint8Array {
  const out: number[] = [];
  let pos = 0;
  const varint = (): number => {
    let r = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++];
      r += (b & 0x7f) * mul;
      if (!(b & 0x80)) return r;
      mul *= 128;
    }
  };
  while (pos < buf.length) {
    const start = pos;
    const key = varint();
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 2) {
      const len = varint(); // not `pos += varint()`: that reads pos before the call advances it
      pos += len;
    }
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    if (!(wire === 2 && key >> 3 === field)) out.push(...buf.subarray(start, pos));
  }
  return Uint8Array.from(out);
}
