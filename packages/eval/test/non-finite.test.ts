/**
 * A model that outputs NaN/Infinity must fail sngp-eval (one error line, exit 1, no report), not be
 * scored: before the runtime checked its outputs, such a model got ECE 0 and exit code 0.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint } from '@sngp/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, evalCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-eval-nan-'));
let model: string;

function bin(name: string, args: string[]): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/.bin', name), ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${name} failed (${r.status}): ${r.stderr}`);
}

beforeAll(() => {
  // A tiny real checkpoint, then weights that overflow float32 inside the graph on any input:
  // the last block adds 3e38 to every hidden unit and the head sums them, so logits are +-Infinity.
  const ckptDir = join(dir, 'ckpt');
  bin('sngp-train', ['--method', 'deterministic', '--data', 'moons', '--epochs', '1', '--width', '8', '--depth', '1', '--quiet', '--out', ckptDir]);
  const ckpt = readCheckpoint(ckptDir);
  ckpt.tensors['blocks.0.kernel'].data.fill(0);
  ckpt.tensors['blocks.0.bias'].data.fill(3e38);
  const head = ckpt.tensors['output.kernel'].data; // [8, 2]
  for (let j = 0; j < 8; j++) [head[2 * j], head[2 * j + 1]] = [1, -1];
  writeCheckpoint(ckptDir, ckpt);
  model = join(dir, 'overflow.onnx');
  // --no-verify: the float64 reference stays finite where float32 overflows, so verification would refuse it.
  bin('sngp-export', [ckptDir, '--out', model, '--no-verify']);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sngp-eval and a model that outputs non-finite values', () => {
  it('fails with one clear line and exit code 1, writing no report', () => {
    const out = join(dir, 'report');
    const r = evalCli([model, '--data', 'moons', '--device', 'cpu', '--latency-runs', '1', '--out', out]);
    const lines = r.stderr.trim().split('\n').filter((l) => /error/.test(l));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(
      /error: .*overflow\.onnx: input row 0 \(and all \d+ other rows\) gives a non-finite output "logits" \((-?Infinity|NaN)\): the model itself is likely broken/,
    );
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(/ECE/);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
  });
});
