/** The batcher alone: batch sizes, offsets, and how many batches of one model run at a time. */
import { describe, expect, it } from 'vitest';
import { Batcher, type BatchOptions } from '../src/batcher.js';

const base: BatchOptions = { maxBatchRows: 3, maxDelayMs: 0, maxQueueRows: 1000, timeoutMs: 10_000, concurrentBatches: 1 };

/** A batcher whose runs take `ms` and report how many ran at once; a run returns its rows' first values. */
function harness(options: BatchOptions, ms = 20) {
  let now = 0;
  const seen = { maxAtOnce: 0, batches: [] as number[] };
  const batcher = new Batcher<number[]>(
    async (features, rows) => {
      now++;
      seen.maxAtOnce = Math.max(seen.maxAtOnce, now);
      seen.batches.push(rows);
      await new Promise((r) => setTimeout(r, ms));
      now--;
      return Array.from(features);
    },
    1,
    options,
  );
  return { batcher, seen };
}

describe('Batcher', () => {
  it.each([1, 2, 3])('concurrentBatches %i: never more batches at once, every request gets its own rows back', async (c) => {
    const { batcher, seen } = harness({ ...base, concurrentBatches: c });
    const answers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const { result, offset } = await batcher.submit(Float32Array.of(i), 1);
        return result[offset];
      }),
    );
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(seen.maxAtOnce).toBe(Math.min(c, Math.ceil(10 / 3)));
    expect(seen.batches.reduce((a, b) => a + b, 0)).toBe(10);
    for (const b of seen.batches) expect(b).toBeLessThanOrEqual(3);
  });

  it('a request larger than a batch runs alone', async () => {
    const { batcher, seen } = harness(base);
    const [a, b] = await Promise.all([batcher.submit(Float32Array.of(1, 2, 3, 4, 5), 5), batcher.submit(Float32Array.of(9), 1)]);
    expect(a.result.slice(a.offset, a.offset + 5)).toEqual([1, 2, 3, 4, 5]);
    expect(b.result[b.offset]).toBe(9);
    expect(seen.batches).toEqual([5, 1]);
  });
});
