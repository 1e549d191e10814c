/**
 * The Laplace precision of the GP output layer: P = ridge * I + sum_i phi_i phi_i^T over one pass
 * of the training data with the final weights and dropout off (the cheaper equivalent of the
 * reference's per-epoch accumulation). The covariance ridge * P^-1 is formed at export.
 *
 * The pass is O(N M^2): on the tfjs backend each chunk of rows gives Phi_c (computed there) and
 * Phi_c^T Phi_c as float32 matrix products; each chunk's product is added into a float64 [M, M]
 * in JS, so float32 rounding stays that of one chunk and does not grow with N. P is symmetric,
 * so only its lower block-triangle is multiplied out (column blocks j, rows from block j down).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Accumulates the lower triangle of Phi^T Phi in float64; `result()` adds the ridge and mirrors it. */
export class PrecisionAccumulator {
  /** Row-major [M, M]; only entries (a, b) with a >= b are accumulated until `result()`. */
  private readonly p: Float64Array;
  rows = 0;

  constructor(
    readonly numFeatures: number,
    readonly ridge: number,
  ) {
    this.p = new Float64Array(numFeatures * numFeatures);
  }

  /** Add a batch of features `phi`, row-major [n, M], products in float64 (plain JS; small data). */
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
   * (row0 + r, col0 + c); those above the diagonal are ignored (the lower triangle is kept).
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

  /** ridge * I + Phi^T Phi, exactly symmetric, float64. */
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
  /** Rows per chunk (default 4096): Phi_c is [rows, M] float32 on the backend. */
  chunkRows?: number;
  /** Columns per block of the block-triangular product (default 512). */
  blockCols?: number;
  /** Called after each chunk with the rows done so far and the total. */
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

/** Default rows per chunk of the precision pass. */
export const PRECISION_CHUNK_ROWS = 4096;

/**
 * ridge * I + Phi^T Phi over row-major `x` [n, d], where `features` maps a [rows, d] tensor to
 * Phi [rows, M] on the backend. Products are float32 on the backend per chunk, summed in float64.
 */
export function precisionPass(
  features: (x: tf.Tensor2D) => tf.Tensor2D,
  x: Float32Array,
  n: number,
  d: number,
  numFeatures: number,
  ridge: number,
  opts: PrecisionPassOptions = {},
): Float64Array {
  const m = numFeatures;
  const chunkRows = opts.chunkRows ?? PRECISION_CHUNK_ROWS;
  const bs = Math.min(m, opts.blockCols ?? 512);
  const acc = new PrecisionAccumulator(m, ridge);
  for (let start = 0; start < n; start += chunkRows) {
    const rows = Math.min(chunkRows, n - start);
    const blocks = tf.tidy(() => {
      const phi = features(tf.tensor2d(x.subarray(start * d, (start + rows) * d), [rows, d]));
      // An explicit transpose, then plain matMuls: on wasm, matMul's transpose flags are 10-40x slower.
      const phiT = tf.transpose(phi);
      const out: { col0: number; values: tf.Tensor2D }[] = [];
      for (let col0 = 0; col0 < m; col0 += bs) {
        const cols = Math.min(bs, m - col0);
        const lhs = col0 === 0 ? phiT : tf.slice(phiT, [col0, 0], [m - col0, rows]);
        const rhs = cols === m ? phi : tf.slice(phi, [0, col0], [rows, cols]);
        out.push({ col0, values: tf.keep(tf.matMul(lhs, rhs)) });
      }
      return out;
    });
    for (const { col0, values } of blocks) {
      const [r, c] = values.shape;
      acc.addBlock(values.dataSync(), col0, col0, r, c);
      values.dispose();
    }
    acc.rows += rows;
    opts.onProgress?.(start + rows, n);
  }
  return acc.result();
}
