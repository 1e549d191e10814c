/**
 * An ensemble trained in parts (`ensembleMembers`) and merged equals the ensemble trained whole:
 * every member tensor bit for bit, the members' mean loss, the accuracies of the merged ensemble;
 * and the options and merge refuse what cannot be merged.
 */
import { twoMoons } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { MOONS_DATA_SEED, mergeEnsembleParts, resolveOptions, trainModel } from '../dist/index.js';
import { runCli } from './helpers.js';

const small = { method: 'ensemble', epochs: 2, width: 16, depth: 2, ensembleSize: 3, seed: 4 } as const;

describe('ensemble in parts', () => {
  it('parts 0:1 and 1:3 merged equal the whole ensemble', async () => {
    const whole = await trainModel({ ...small }, { backend: 'wasm' });
    const a = await trainModel({ ...small, ensembleMembers: { from: 0, to: 1 } }, { backend: 'wasm' });
    const b = await trainModel({ ...small, ensembleMembers: { from: 1, to: 3 } }, { backend: 'wasm' });
    expect(a.checkpoint.config.hyperParameters.ensembleSize).toBe(1);
    expect(Object.keys(b.checkpoint.tensors).some((n) => n.startsWith('members.1.'))).toBe(true);
    expect(Object.keys(b.checkpoint.tensors).some((n) => n.startsWith('members.2.'))).toBe(false);
    const { train, test } = twoMoons(MOONS_DATA_SEED);
    const merged = await mergeEnsembleParts([a.checkpoint, b.checkpoint], { trainAccuracy: train, testAccuracy: test });
    expect(merged.config.hyperParameters.ensembleSize).toBe(3);
    expect(Object.keys(merged.tensors).sort()).toEqual(Object.keys(whole.checkpoint.tensors).sort());
    for (const [name, t] of Object.entries(whole.checkpoint.tensors)) expect(Array.from(merged.tensors[name].data), name).toEqual(Array.from(t.data));
    const wm = whole.checkpoint.config.metrics;
    const mm = merged.config.metrics;
    expect(mm.trainLoss).toBeCloseTo(wm.trainLoss, 5);
    // Same weights; the merge's forward is a separate float32 implementation, so allow one row.
    expect(Math.abs(mm.trainAccuracy - wm.trainAccuracy)).toBeLessThanOrEqual(1 / train.n);
    expect(Math.abs(mm.testAccuracy - wm.testAccuracy)).toBeLessThanOrEqual(1 / test.n);
    // A member moved away from its initialisation: the parts really trained.
    expect(Array.from(merged.tensors['members.2.blocks.1.kernel'].data)).not.toEqual(
      Array.from((await trainModel({ ...small, epochs: 1, ensembleMembers: { from: 2, to: 3 } }, { backend: 'wasm' })).checkpoint.tensors['members.0.blocks.1.kernel'].data),
    );
  });

  it('refuses bad member ranges and parts that do not belong together', async () => {
    expect(() => resolveOptions({ ...small, ensembleMembers: { from: 2, to: 2 } })).toThrow(/--ensemble-members must be from:to/);
    expect(() => resolveOptions({ ...small, ensembleMembers: { from: 0, to: 4 } })).toThrow(/<= 3/);
    expect(() => resolveOptions({ method: 'sngp', ensembleMembers: { from: 0, to: 1 } })).toThrow(/--method ensemble only/);
    const a = await trainModel({ ...small, epochs: 1, ensembleMembers: { from: 0, to: 1 } }, { backend: 'wasm' });
    const c = await trainModel({ ...small, epochs: 1, width: 8, ensembleMembers: { from: 1, to: 3 } }, { backend: 'wasm' });
    await expect(mergeEnsembleParts([a.checkpoint, c.checkpoint])).rejects.toThrow(/part 1 was trained with other options/);
    await expect(mergeEnsembleParts([])).rejects.toThrow(/no parts/);
    const cli = runCli(['--method', 'ensemble', '--ensemble-members', '3', '--dry-run']);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toMatch(/^sngp-train: error: --ensemble-members expects from:to \(e\.g\. 0:5 for members 0 to 4\), got "3"\n$/);
  });
});
