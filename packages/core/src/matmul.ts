/*
 * The float64 matrix product behind the reference paths (the export's float64 forward pass, the
 * low-rank variance): plain TS, as tfjs has no float64. Register-tiled: 4 rows of A by 2 rows of B
 * per pass, so each loaded value feeds several multiply-adds (8 accumulators + 6 loads fit x64's
 * 16 float registers; 4 x 4 spills). About 1.4x the 4 x 1 form and 3-4x the axpy form in V8.
 */

/**
 * C = A B^T (+ bias per column): row-major A [rows, inner] and B [cols, inner], C [rows, cols].
 * Both operands are read along contiguous rows; B is the transposed right factor (a dense layer's
 * kernel [in, out] transposed to [out, in]).
 * @param a - A, row-major [rows, inner].
 * @param rows - rows of A and C.
 * @param inner - the shared dimension.
 * @param bt - B, row-major [cols, inner].
 * @param cols - rows of B, columns of C.
 * @param opts - `bias` [cols] added to every row of C; `lowerTriangular`: B is lower triangular
 *   (zeros above its diagonal stored), so row j of B is read up to column j only (half the work).
 * @returns C, float64 row-major [rows, cols].
 */
export function matmulTransposed(
  a: Float64Array,
  rows: number,
  inner: number,
  bt: Float64Array,
  cols: number,
  opts: { bias?: ArrayLike<number>; lowerTriangular?: boolean } = {},
): Float64Array {
  const { bias, lowerTriangular = false } = opts;
  const c = new Float64Array(rows * cols);
  const b0 = (j: number): number => (bias ? bias[j] : 0);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const x0 = r * inner;
    const x1 = x0 + inner;
    const x2 = x1 + inner;
    const x3 = x2 + inner;
    const o = r * cols;
    let j = 0;
    for (; j + 2 <= cols; j += 2) {
      const w0 = j * inner;
      const w1 = w0 + inner;
      const end = lowerTriangular ? Math.min(inner, j + 2) : inner;
      let a0 = b0(j);
      let a1 = a0;
      let a2 = a0;
      let a3 = a0;
      let c0 = b0(j + 1);
      let c1 = c0;
      let c2 = c0;
      let c3 = c0;
      for (let i = 0; i < end; i++) {
        const u = bt[w0 + i];
        const v = bt[w1 + i];
        const p0 = a[x0 + i];
        const p1 = a[x1 + i];
        const p2 = a[x2 + i];
        const p3 = a[x3 + i];
        a0 += p0 * u;
        a1 += p1 * u;
        a2 += p2 * u;
        a3 += p3 * u;
        c0 += p0 * v;
        c1 += p1 * v;
        c2 += p2 * v;
        c3 += p3 * v;
      }
      c[o + j] = a0;
      c[o + cols + j] = a1;
      c[o + 2 * cols + j] = a2;
      c[o + 3 * cols + j] = a3;
      c[o + j + 1] = c0;
      c[o + cols + j + 1] = c1;
      c[o + 2 * cols + j + 1] = c2;
      c[o + 3 * cols + j + 1] = c3;
    }
    if (j < cols) for (let k = 0; k < 4; k++) c[o + k * cols + j] = dot(a, x0 + k * inner, bt, j * inner, inner) + b0(j);
  }
  for (; r < rows; r++) for (let j = 0; j < cols; j++) c[r * cols + j] = dot(a, r * inner, bt, j * inner, inner) + b0(j);
  return c;
}

function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}
