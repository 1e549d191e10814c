/**
 * The one seeded PRNG behind every random draw of the toolkit (data, initialisation, shuffles,
 * dropout noise), so a seed reproduces a run on any platform. xoshiro128** seeded by splitmix32:
 * fast, 32-bit only (exact in JS), and good enough statistically for ML use.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /**
   * A generator whose whole stream is fixed by `seed`.
   * @param seed - any finite number; it is truncated to an integer and taken modulo 2^32, so
   *   seeds that agree there give the same stream.
   * @throws RangeError if `seed` is NaN or infinite (a programming error, not user input).
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    let x = Math.trunc(seed) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /**
   * The next raw output of the generator; every other draw is built from these.
   * @returns an integer in [0, 2^32).
   */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * A uniform draw with 32 bits of resolution (one {@link Rng.nextUint32 | nextUint32}).
   * @returns a number in [0, 1).
   */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * A standard normal draw N(0, 1) by Box-Muller; each pair of uniforms gives two draws, the second
   * is kept for the next call.
   * @returns a finite number (the log of a zero uniform is never taken).
   */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * A uniform integer index.
   * @param n - the number of choices, a positive integer.
   * @returns an integer in [0, n).
   */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /**
   * A child generator with its own stream, derived from this one, for independent sub-tasks (e.g.
   * one per ensemble member): the child's draws do not shift when another sub-task draws more.
   * @returns a new generator seeded from this one's next output.
   */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  /**
   * Shuffle in place (Fisher-Yates): every permutation equally likely.
   * @param a - an array or typed array; its elements are reordered.
   * @returns `a` itself.
   */
  shuffle<
    T extends {
      /** Element count. */
      length: number;
      [i: number]: unknown;
    },
  >(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }

  /**
   * A uniformly random permutation.
   * @param n - its length, a non-negative integer.
   * @returns the integers 0..n-1 in random order.
   */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /**
   * Fill an array with uniform draws (one {@link Rng.uniform | uniform} per element, in order).
   * @param out - the array to fill; a draw just below 1 may round to 1.0 in float32.
   * @returns `out` itself.
   */
  fillUniform(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
