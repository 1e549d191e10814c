/**
 * The Laplace precision of the GP output layer: P = ridge * I + sum_i phi_i phi_i^T over one pass
 * of the training data with the final weights and dropout off (the cheaper equivalent of the
 * reference's per-epoch accumulation). The covariance ridge * P^-1 is formed at export.
 *
 * The pass is O(N M^2). Per chunk of rows: the network and the random-feature pre-activations run
 * on the tfjs backend; the features are evaluated and laid out in JS (on wasm, element-wise ops on
 * [4096, 1024] are memory-bound, and transposes and slices copy whole tensors); the lower
 * block-triangle of Phi_c^T Phi_c (P is symmetric) is float32 matMuls on the backend; each product
 * is added into a float64 [M, M] in JS, so float32 rounding is that of one chunk and does not grow
 * with N.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Accumulates the lower triangle of Phi^T Phi in float64; `result()` adds the ridge and mirrors it.
 * Memory: one float64 [M, M] (8 MB for M = 1024). The reference for {@link precisionPass}, and
 * its float64 sink.
 */
export class PrecisionAccumulator {
  /** Row-major [M, M]; only entries (a, b) with a >= b are accumulated until `result()`. */
  private readonly p: Float64Array;
  /** Rows accumulated so far. */
  rows = 0;

  /**
   * An empty accumulator (no rows).
   * @param numFeatures - random features M; the precision is [M, M].
   * @param ridge - the prior precision s added to the diagonal by `result()` (SNGP default 1).
   */
  constructor(
    /** Random features M: the precision is [M, M]. */
    readonly numFeatures: number,
    /** Prior precision s on the diagonal of the result (ridge * I + Phi^T Phi). */
    readonly ridge: number,
  ) {
    this.p = new Float64Array(numFeatures * numFeatures);
  }

  /**
   * Add a batch of features, products in float64 (plain JS, O(n M^2): for tests and small data).
   * @param phi - random features of the batch, row-major [n, M] (at least `n * M` values).
   * @param n - rows in the batch; added to `rows`.
   */
  add(phi: ArrayLike<number>, n: number): void {
    const m = this.numFeatures;
    const p = this.p;
    const row = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < m; a++) row[a] = phi[i * m + a];
      for (let a = 0; a < m; a++) {
        const pa = row[a];
        if (pa === 0) continue;
        const base = a * m;
        for (let b = 0; b <= a; b++) p[base + b] += pa * row[b];
      }
    }
    this.rows += n;
  }

  /**
   * Add a block of Phi^T Phi computed elsewhere: `block` is row-major [rows, cols] holding entries
   * (row0 + r, col0 + c); those above the diagonal are ignored (the lower triangle is kept). Does
   * not change `rows`: the caller counts the data rows the block came from.
   * @param block - the block's values, row-major [rows, cols].
   * @param row0 - index in [0, M) of the block's first row in the [M, M] matrix.
   * @param col0 - index in [0, M) of the block's first column.
   * @param rows - rows of the block; `row0 + rows <= M`.
   * @param cols - columns of the block; `col0 + cols <= M`.
   */
  addBlock(block: ArrayLike<number>, row0: number, col0: number, rows: number, cols: number): void {
    const m = this.numFeatures;
    const p = this.p;
    for (let r = 0; r < rows; r++) {
      const a = row0 + r;
      const last = Math.min(cols, a - col0 + 1); // b = col0 + c <= a
      const base = a * m + col0;
      const src = r * cols;
      for (let c = 0; c < last; c++) p[base + c] += block[src + c];
    }
  }

  /**
   * The precision so far. The accumulator is unchanged, so more rows may be added afterwards.
   * @returns ridge * I + Phi^T Phi, row-major [M, M], float64, exactly symmetric.
   */
  result(): Float64Array {
    const m = this.numFeatures;
    const out = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      out[a * m + a] = this.p[a * m + a] + this.ridge;
      for (let b = 0; b < a; b++) {
        const v = this.p[a * m + b];
        out[a * m + b] = v;
        out[b * m + a] = v;
      }
    }
    return out;
  }
}

/** Options of the backend precision pass. */
export interface PrecisionPassOptions {
  /** Rows per chunk (default 4096). */
  chunkRows?: number;
  /** Columns per block of the block-triangular product (default 128). */
  blockCols?: number;
  /**
   * Called after each chunk. Default: nothing is reported.
   * @param rowsDone - rows processed so far.
   * @param rowsTotal - rows of the whole pass (`n`).
   */
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
  /**
   * Called with each chunk's features on the backend, as column blocks Phi[:, j*blockCols ...]
   * ([rows, <= blockCols] each), inside a tidy: e.g. to get predictions of the same rows for the
   * cost of a small product. The tensors are disposed after the call; keep nothing of them.
   * @param phiBlocks - the chunk's features as column blocks, block j being [rows, <= blockCols]
   *   (columns j * blockCols ...), float32.
   * @param blockCols - columns per block (the last one may have fewer).
   * @param rowStart - index in [0, n) of the chunk's first row in `x`.
   * @param rows - rows in the chunk.
   */
  onFeatures?: (phiBlocks: tf.Tensor2D[], blockCols: number, rowStart: number, rows: number) => void;
}

/** Default rows per chunk of the precision pass. */
export const PRECISION_CHUNK_ROWS = 4096;

/**
 * Features of one chunk, in the two layouts the block products need: `blocks` holds, for each
 * column block j, Phi[:, block j] row-major ([rows, cols_j], blocks one after the other) and `blocksT`
 * is Phi^T row-major ([M, rows], so block j's rows are Phi[:, block j]^T). Tiled over rows so the
 * transposed writes stay in cache.
 */
function layoutFeatures(
  z: Float32Array,
  rows: number,
  m: number,
  bs: number,
  phi: (z: number) => number,
  blocks: Float32Array,
  blocksT: Float32Array,
): void {
  const TILE = 32;
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(rows, i0 + TILE);
    for (let a = 0; a < m; a++) {
      const j = Math.floor(a / bs);
      const cols = Math.min(bs, m - j * bs);
      const base = j * bs * rows + (a - j * bs);
      const tBase = a * rows;
      for (let i = i0; i < i1; i++) {
        const v = phi(z[i * m + a]);
        blocks[base + i * cols] = v;
        blocksT[tBase + i] = v;
      }
    }
  }
}

/**
 * ridge * I + Phi^T Phi over row-major `x` [n, d] for random features phi = f(z), z = `preActivation`
 * of the rows (on the backend), f applied element-wise in JS (`phi`). Per chunk: z on the backend,
 * Phi laid out in JS, the lower block-triangle of Phi^T Phi as float32 matMuls on the backend
 * (plain matMuls of uploaded blocks: no transpose flags, no backend slices, both slow on wasm),
 * summed in float64. Needs an initialised tfjs backend (`initBackend`).
 * @param preActivation - maps a chunk of rows [rows, d] to the random-feature pre-activations
 *   z [rows, M] on the backend (SNGP: the GP input of the network's hidden features, times W_rf,
 *   plus b_rf); called inside a tidy.
 * @param phi - the element-wise feature map f, z -> phi (SNGP: sqrt(2 / M) * cos(z)).
 * @param x - the rows, row-major [n, d], float32 (e.g. the standardised training split).
 * @param n - rows N.
 * @param d - input features per row.
 * @param numFeatures - random features M (columns of `preActivation`'s output).
 * @param ridge - prior precision s added to the diagonal (SNGP default 1).
 * @param opts - chunk rows (default {@link PRECISION_CHUNK_ROWS}), block columns (default 128),
 *   and the `onProgress` / `onFeatures` callbacks.
 * @returns ridge * I + Phi^T Phi, row-major [M, M], float64, exactly symmetric.
 */
export function precisionPass(
  preActivation: (x: tf.Tensor2D) => tf.Tensor2D,
  phi: (z: number) => number,
  x: Float32Array,
  n: number,
  d: number,
  numFeatures: number,
  ridge: number,
  opts: PrecisionPassOptions = {},
): Float64Array {
  const m = numFeatures;
  const chunkRows = Math.min(n, opts.chunkRows ?? PRECISION_CHUNK_ROWS);
  const bs = Math.min(m, opts.blockCols ?? 128);
  const numBlocks = Math.ceil(m / bs);
  const acc = new PrecisionAccumulator(m, ridge);
  const blocks = new Float32Array(chunkRows * m);
  const blocksT = new Float32Array(chunkRows * m);
  for (let start = 0; start < n; start += chunkRows) {
    const rows = Math.min(chunkRows, n - start);
    // dataSync outside tidy: tidy walks whatever its callback returns, key by key (4M keys here).
    const zt = tf.tidy(() => preActivation(tf.tensor2d(x.subarray(start * d, (start + rows) * d), [rows, d])));
    const z = zt.dataSync() as Float32Array;
    zt.dispose();
    layoutFeatures(z, rows, m, bs, phi, blocks, blocksT);
    const cols = (j: number): number => Math.min(bs, m - j * bs);
    const products = tf.tidy(() => {
      const left = Array.from({ length: numBlocks }, (_, j) =>
        tf.tensor2d(blocksT.subarray(j * bs * rows, (j * bs + cols(j)) * rows), [cols(j), rows]),
      );
      const right = Array.from({ length: numBlocks }, (_, j) =>
        tf.tensor2d(blocks.subarray(j * bs * rows, (j * bs + cols(j)) * rows), [rows, cols(j)]),
      );
      opts.onFeatures?.(right, bs, start, rows);
      const out: { i: number; j: number; values: tf.Tensor2D }[] = [];
      for (let i = 0; i < numBlocks; i++)
        for (let j = 0; j <= i; j++) out.push({ i, j, values: tf.keep(tf.matMul(left[i], right[j])) });
      return out;
    });
    for (const { i, j, values } of products) {
      acc.addBlock(values.dataSync(), i * bs, j * bs, cols(i), cols(j));
      values.dispose();
    }
    acc.rows += rows;
    opts.onProgress?.(start + rows, n);
  }
  return acc.result();
}
