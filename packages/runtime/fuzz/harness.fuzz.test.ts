/** The fuzz harness itself: a crash or hang is pinned on its case and the rest of the batch still runs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { runInChildren, tally } from '../../../fuzz/harness.js';

it('attributes crashes and hangs to their case and runs every other case', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sngp-fuzz-harness-'));
  try {
    const actions = ['ok', 'segv', 'ok', 'refuse', 'exit', 'throw', 'ok', 'hang', 'ok', 'ok'];
    const cases = actions.map((action, index) => ({ index, action, label: action }));
    const results = await runInChildren({
      worker: resolve(import.meta.dirname, 'fixtures/faulty-worker.mjs'),
      cases,
      dir,
      batchSize: 4,
      caseTimeoutMs: 2000,
      concurrency: 2,
    });
    expect(results.map((r) => r.outcome)).toEqual(['finite', 'crash', 'finite', 'rejected', 'crash', 'crash', 'finite', 'hang', 'finite', 'finite']);
    expect(results[1].detail).toMatch(/^segv: child died \(signal SIGSEGV\)/);
    expect(results[4].detail).toMatch(/^exit: child died \(exit code 3\)/);
    expect(results[5].detail).toMatch(/^throw: child died \(exit code 1\).*TypeError: boom/);
    expect(results[7].detail).toBe('hang: no result within 2000 ms');
    expect(tally(results)).toEqual({ rejected: 1, finite: 5, 'silent-nan': 0, crash: 3, hang: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
