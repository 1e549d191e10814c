/**
 * IDX decoding: the real Fashion-MNIST files (Debian's dataset-fashion-mnist, installed by
 * scripts/setup.sh) checked against an independent gunzip + byte read, and malformed files made
 * here.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { IdxReader, SngpError, decodeIdx, idxFeatureNames, isIdxPath, parseIdxHeader } from '../src/index.js';
import { loadIdxDataset, readIdxFile } from '../src/node.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const dir = mkdtempSync(join(tmpdir(), 'idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An IDX file: magic, type byte, big-endian dims, then `body`. */
function idx(type: number, dims: number[], body: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(head.buffer);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

describe('Fashion-MNIST (real files)', () => {
  it('the data set is installed (scripts/setup.sh installs dataset-fashion-mnist)', () => {
    expect(existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'))).toBe(true);
  });

  it.each([
    ['train', 60_000, 6_000],
    ['t10k', 10_000, 1_000],
  ])('%s: images [n, 28, 28] become n rows of 784 features in [0, 1], labels 10 balanced classes', async (split, n, perClass) => {
    const images = join(FASHION, `${split}-images-idx3-ubyte.gz`);
    const labels = join(FASHION, `${split}-labels-idx1-ubyte.gz`);
    const ds = await loadIdxDataset(images, labels);
    expect(ds.n).toBe(n);
    expect(ds.d).toBe(784);
    expect(ds.featureNames[0]).toBe('pixel_0_0');
    expect(ds.featureNames[783]).toBe('pixel_27_27');
    expect(ds.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const counts = new Array(10).fill(0);
    for (const c of ds.y!) counts[c]++;
    expect(counts).toEqual(new Array(10).fill(perClass));
    // Independent decode: gunzip, skip the 16-byte header, bytes / 255.
    const raw = gunzipSync(readFileSync(images));
    expect(raw.readUInt32BE(0)).toBe(0x00000803);
    expect(raw.readUInt32BE(4)).toBe(n);
    let maxDiff = 0;
    let max = 0;
    for (const row of [0, 1, n - 1]) {
      for (let j = 0; j < 784; j++) {
        const want = raw[16 + row * 784 + j] / 255;
        maxDiff = Math.max(maxDiff, Math.abs(ds.x[row * 784 + j] - want));
        max = Math.max(max, ds.x[row * 784 + j]);
      }
    }
    expect(maxDiff).toBeLessThan(1e-7);
    expect(max).toBeGreaterThan(0.9); // not all zeros
    const rawLabels = gunzipSync(readFileSync(labels));
    expect([ds.y![0], ds.y![n - 1]]).toEqual([rawLabels[8], rawLabels[8 + n - 1]]);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ds.x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect([lo, hi]).toEqual([0, 1]);
  });

  it('reads an uncompressed copy the same way', async () => {
    const p = file('t10k-labels.idx', gunzipSync(readFileSync(join(FASHION, 't10k-labels-idx1-ubyte.gz'))));
    const a = await readIdxFile(p);
    const b = await readIdxFile(join(FASHION, 't10k-labels-idx1-ubyte.gz'));
    expect(a.header.dims).toEqual([10_000]);
    expect([...a.data]).toEqual([...b.data]);
  });

  it('names the mismatch when images and labels do not pair up', async () => {
    await expect(
      loadIdxDataset(join(FASHION, 'train-images-idx3-ubyte.gz'), join(FASHION, 't10k-labels-idx1-ubyte.gz')),
    ).rejects.toThrow(/train-images-idx3-ubyte\.gz has 60000 rows .* but .*t10k-labels-idx1-ubyte\.gz has 10000 labels; pass the matching pair/);
  });
});

describe('IDX decoding', () => {
  it('decodes every value type big-endian, however the bytes are chunked', () => {
    const cases: [number, number[], (v: DataView, i: number, x: number) => void, number][] = [
      [0x08, [200, 3, 0], (v, i, x) => v.setUint8(i, x), 1],
      [0x09, [-128, 5, 127], (v, i, x) => v.setInt8(i, x), 1],
      [0x0b, [-30000, 1, 258], (v, i, x) => v.setInt16(i * 2, x, false), 2],
      [0x0c, [-2_000_000_000, 7, 65536], (v, i, x) => v.setInt32(i * 4, x, false), 4],
      [0x0d, [1.5, -0.25, 3e10], (v, i, x) => v.setFloat32(i * 4, x, false), 4],
      [0x0e, [Math.PI, -1e300, 2 ** -40], (v, i, x) => v.setFloat64(i * 8, x, false), 8],
    ];
    for (const [type, values, set, size] of cases) {
      const body = new Uint8Array(values.length * size);
      values.forEach((x, i) => set(new DataView(body.buffer), i, x));
      const bytes = idx(type, [values.length], body);
      for (const step of [1, 3, 5, bytes.length]) {
        const r = new IdxReader({ source: 's', allocate: (h) => new Float64Array(h.count) });
        for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step));
        const out = r.finish();
        const want = type === 0x0d ? values.map((x) => Math.fround(x)) : values;
        expect([...out.data], `type ${type} step ${step}`).toEqual(want);
      }
    }
  });

  it('rejects wrong magic, unknown type bytes and gzip data in the pure decoder', () => {
    expect(() => parseIdxHeader(Uint8Array.from([0x50, 0x4b, 3, 4]), 'a.zip')).toThrow(/a\.zip: not an IDX file \(magic bytes 50 4b 03 04; expected 00 00/);
    expect(() => parseIdxHeader(Uint8Array.from([0, 0, 0x07, 1]), 'b')).toThrow(/b: not an IDX file \(magic bytes 00 00 07 01/);
    expect(() => parseIdxHeader(Uint8Array.from([0, 0, 0x08, 0]), 'c')).toThrow(/dimension count >= 1/);
    expect(() => parseIdxHeader(Uint8Array.from([0x1f, 0x8b, 8, 0]), 'd.gz')).toThrow(/d\.gz: gzip-compressed data; decompress it first/);
    expect(parseIdxHeader(Uint8Array.from([0, 0, 8]), 'e')).toBeNull();
  });

  it('rejects truncated and over-long data, naming the declared shape', () => {
    const full = idx(0x08, [4, 2, 2], new Uint8Array(16).fill(7));
    expect(() => decodeIdx(full.subarray(0, full.length - 3), { source: 't.idx' })).toThrow(
      /t\.idx: truncated: the header declares \[4, 2, 2\] uint8 \(16 bytes of data\) but the file has only 13; re-download/,
    );
    expect(() => decodeIdx(full.subarray(0, 9), { source: 'h.idx' })).toThrow(/h\.idx: truncated IDX header \(9 bytes\)/);
    const long = new Uint8Array(full.length + 5);
    long.set(full);
    expect(() => decodeIdx(long, { source: 'l.idx' })).toThrow(/l\.idx: 5 bytes after the 16 bytes of data the header declares/);
    expect(decodeIdx(full, { source: 'ok' }).data.length).toBe(16);
  });

  it('recognises IDX paths by extension', () => {
    for (const p of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte', 'x.idx', 'x.IDX.gz', 'a/b.idx3'])
      expect(isIdxPath(p), p).toBe(true);
    for (const p of ['data.csv', 'idx.csv', 'x.gz', 'ubyte.txt']) expect(isIdxPath(p), p).toBe(false);
    expect(idxFeatureNames([5, 2, 3])).toEqual(['pixel_0_0', 'pixel_0_1', 'pixel_0_2', 'pixel_1_0', 'pixel_1_1', 'pixel_1_2']);
    expect(idxFeatureNames([5, 3])).toEqual(['feature_0', 'feature_1', 'feature_2']);
  });
});

describe('IDX files (Node loader)', () => {
  const images = idx(0x08, [3, 2, 2], Uint8Array.from([0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]));
  const labels = idx(0x08, [3], Uint8Array.from([7, 2, 7]));

  it('loads small images and labels, gzipped or not', async () => {
    for (const gz of [false, true]) {
      const enc = (b: Uint8Array) => (gz ? gzipSync(b) : b);
      const ds = await loadIdxDataset(file(`i${gz}.idx`, enc(images)), file(`l${gz}.idx`, enc(labels)));
      expect(ds.n).toBe(3);
      expect(ds.d).toBe(4);
      expect(ds.classes).toEqual(['2', '7']);
      expect([...ds.y!]).toEqual([1, 0, 1]);
      expect([...ds.x.subarray(0, 4)].map((v) => Math.round(v * 255))).toEqual([0, 255, 51, 102]);
      expect(ds.x[1]).toBeCloseTo(1, 7);
    }
  });

  it('names the file for wrong magic, truncated data, truncated gzip and a labels/images mismatch', async () => {
    const csv = file('not.idx', new TextEncoder().encode('a,b\n1,2\n'));
    await expect(readIdxFile(csv)).rejects.toThrow(/not\.idx: not an IDX file \(magic bytes 61 2c 62 0a/);
    const cut = file('cut.idx', images.subarray(0, images.length - 2));
    await expect(loadIdxDataset(cut, file('l.idx', labels))).rejects.toThrow(/cut\.idx: truncated: the header declares \[3, 2, 2\] uint8 \(12 bytes of data\) but the file has only 10/);
    const gz = gzipSync(images);
    const cutGz = file('cut.idx.gz', gz.subarray(0, gz.length - 10));
    await expect(readIdxFile(cutGz)).rejects.toThrow(/cut\.idx\.gz: corrupt or truncated gzip data \(unexpected end of file\); re-download/);
    const fewer = file('fewer.idx', idx(0x08, [2], Uint8Array.from([1, 2])));
    await expect(loadIdxDataset(file('i.idx', images), fewer)).rejects.toThrow(/i\.idx has 3 rows \(\[3, 2, 2\] uint8\) but .*fewer\.idx has 2 labels/);
    await expect(loadIdxDataset(file('l2.idx', labels), file('i2.idx', images))).rejects.toThrow(/labels must be a 1-D array \[n\], got \[3, 2, 2\] uint8; did you swap --data and --labels/);
    const floatLabels = new Uint8Array(12);
    [0.5, 1, 2].forEach((v, i) => new DataView(floatLabels.buffer).setFloat32(i * 4, v, false));
    await expect(loadIdxDataset(file('i3.idx', images), file('fl.idx', idx(0x0d, [3], floatLabels)))).rejects.toThrow(/fl\.idx: label 0 is 0\.5, expected an integer class/);
    await expect(readIdxFile(join(dir, 'missing.idx'))).rejects.toThrow(/missing\.idx: file does not exist/);
  });

  it('names rows, features and bytes when the images cannot fit', async () => {
    await expect(loadIdxDataset(file('i4.idx', images), file('l4.idx', labels), { maxBytes: 32 })).rejects.toThrow(
      /i4\.idx: 3 rows x 4 features x 4 bytes = 48 bytes of float32 features \(60 bytes with labels\) do not fit in the 32 bytes of memory available/,
    );
  });

  it('SngpError is what users get', async () => {
    await expect(readIdxFile(file('bad.idx', Uint8Array.from([1, 2, 3, 4, 5])))).rejects.toBeInstanceOf(SngpError);
  });
});
