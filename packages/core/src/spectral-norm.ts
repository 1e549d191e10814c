/*
 * Spectral norm to convergence in float64. Training estimates sigma ~ ||W||_2 with one power
 * iteration per step; at the end of training and again at export, sigma is computed exactly here
 * and W / max(1, sigma / c) is applied, so the stored and exported kernels satisfy ||W||_2 <= c.
 */

/** The spectral norm of a matrix and how it was found, from {@link spectralNorm}. */
export interface SpectralNormResult {
  /** Largest singular value of W. */
  sigma: number;
  /** Unit top eigenvector of W^T W (the output-space singular vector, the power iteration's u). */
  vector: Float64Array;
  /** Power iterations used (after squaring). */
  iterations: number;
  /**
   * Whether the Rayleigh quotient settled (relative change <= 1e-15) within 1000 iterations; if
   * not, `sigma` is the last estimate.
   */
  converged: boolean;
}

/** C = A^T A for row-major A [rows, cols] (cols x cols, symmetric). */
function gram(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const g = new Float64Array(cols * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let i = 0; i < cols; i++) {
      const ai = a[o + i];
      if (ai === 0) continue;
      const gi = i * cols;
      for (let j = i; j < cols; j++) g[gi + j] += ai * a[o + j];
    }
  }
  // The upper triangle was accumulated (half the work): mirror it.
  for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) g[i * cols + j] = g[j * cols + i];
  return g;
}

function matSquare(b: Float64Array, n: number): Float64Array {
  // b is symmetric, so b @ b = b^T b.
  return gram(b, n, n);
}

function matVec(a: Float64Array, n: number, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * n;
    for (let j = 0; j < n; j++) s += a[o + j] * v[j];
    out[i] = s;
  }
}

function normalize(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}

/**
 * ||W||_2 by power iteration on A = W^T W in float64. A is first squared `squarings` times
 * (A^1024 by default, rescaled each time), which raises the eigenvalue ratio lambda2/lambda1 to the
 * 1024th power, so the iteration converges in a handful of steps even when the top singular values
 * are close; sigma is then the Rayleigh quotient of the original A (accurate to second order).
 * Deterministic: no random start vector.
 * @param w - the matrix, row-major [rows, cols] (a kernel [in, out]).
 * @param rows - its row count.
 * @param cols - its column count.
 * @param squarings - how often A is squared before iterating (default 10, i.e. A^1024).
 * @returns sigma, the top right singular vector and convergence facts (sigma 0 for a zero matrix).
 */
export function spectralNorm(w: ArrayLike<number>, rows: number, cols: number, squarings = 10): SpectralNormResult {
  const a = gram(w, rows, cols);
  let b: Float64Array = a;
  for (let s = 0; s < squarings; s++) {
    let max = 0;
    for (let i = 0; i < b.length; i++) max = Math.max(max, Math.abs(b[i]));
    if (max === 0) return { sigma: 0, vector: new Float64Array(cols), iterations: 0, converged: true };
    const scaled = new Float64Array(b.length);
    for (let i = 0; i < b.length; i++) scaled[i] = b[i] / max;
    b = matSquare(scaled, cols);
  }
  // Deterministic start with all components non-zero (never orthogonal to every top eigenvector).
  let v = new Float64Array(cols);
  for (let i = 0; i < cols; i++) v[i] = 1 + 0.5 * Math.sin(1 + 7.3 * i);
  normalize(v);
  let next = new Float64Array(cols);
  const rayleigh = (x: Float64Array): number => {
    const ax = new Float64Array(cols);
    matVec(a, cols, x, ax);
    let s = 0;
    for (let i = 0; i < cols; i++) s += x[i] * ax[i];
    return s;
  };
  let prev = rayleigh(v);
  const maxIter = 1000;
  for (let it = 1; it <= maxIter; it++) {
    matVec(b, cols, v, next);
    if (normalize(next) === 0) return { sigma: 0, vector: next, iterations: it, converged: true };
    [v, next] = [next, v];
    const cur = rayleigh(v);
    if (Math.abs(cur - prev) <= 1e-15 * Math.abs(cur)) return { sigma: Math.sqrt(Math.max(cur, 0)), vector: v, iterations: it, converged: true };
    prev = cur;
  }
  return { sigma: Math.sqrt(Math.max(prev, 0)), vector: v, iterations: maxIter, converged: false };
}

/** A kernel with its spectral normalisation applied, from {@link bakeSpectralNorm}. */
export interface BakedKernel extends SpectralNormResult {
  /** W / max(1, sigma / c), float64, same layout as the input. */
  kernel: Float64Array;
  /** The divisor max(1, sigma / c). */
  scale: number;
}

/**
 * Bake the spectral normalisation into a kernel: W / max(1, sigma / c), so ||W||_2 <= c afterwards
 * (a kernel already within the bound is returned unscaled, as a float64 copy).
 * @param w - the kernel, row-major [rows, cols].
 * @param rows - its row count.
 * @param cols - its column count.
 * @param bound - the bound c (the checkpoint's `specNormBound`, 0.9 by default).
 * @returns the scaled kernel, the divisor and the {@link spectralNorm} result of the input.
 */
export function bakeSpectralNorm(w: ArrayLike<number>, rows: number, cols: number, bound: number): BakedKernel {
  const r = spectralNorm(w, rows, cols);
  const scale = Math.max(1, r.sigma / bound);
  const kernel = new Float64Array(rows * cols);
  for (let i = 0; i < kernel.length; i++) kernel[i] = w[i] / scale;
  return { ...r, kernel, scale };
}
