/**
 * End to end through the real CLIs on small models (a few epochs): the report files, metrics.json,
 * CSV evaluation and the error cases of sngp-eval.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReportJson } from '../src/report.js';
import { evalCli, trainAndExport } from './helpers.js';

const METHODS = ['deterministic', 'sngp', 'mc-dropout', 'ensemble'] as const;
const dir = mkdtempSync(join(tmpdir(), 'sngp-eval-cli-'));
const models: Record<string, string> = {};

beforeAll(() => {
  for (const m of METHODS) models[m] = trainAndExport(dir, m, ['--epochs', '2', '--ensemble-size', '2']);
}, 300_000);

const oneErrorLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0];
};

describe('sngp-eval end to end', () => {
  it('writes a report for the four methods on two moons', () => {
    const out = join(dir, 'report');
    const r = evalCli([...METHODS.map((m) => models[m]), '--data', 'moons', '--out', out, '--device', 'cpu', '--latency-runs', '2']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Model\s+Accuracy\s+NLL\s+Brier\s+ECE\s+OOD AUROC/);
    const report = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ReportJson;
    expect(report.models.map((m) => m.method)).toEqual([...METHODS]);
    for (const m of report.models) {
      for (const k of ['accuracy', 'nll', 'brier', 'ece'] as const) expect(Number.isFinite(m.test[k])).toBe(true);
      expect(m.test.accuracy).toBeGreaterThan(0.5);
      expect(m.ood!.auroc).toBeGreaterThanOrEqual(0);
      expect(m.ood!.aupr).toBeGreaterThan(0);
      expect(m.latency.rows).toBe(10_000);
      expect(m.latency.medianMs).toBeGreaterThan(0);
      expect(m.provider).toBe('cpu');
      expect(m.farCorners).toHaveLength(4);
    }
    expect(readdirSync(join(out, 'figures')).sort()).toEqual([...METHODS.map((m) => `${m}.png`), 'overview.png'].sort());
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('figures/overview.png');
    // No temporary files left behind by the atomic writes.
    expect(readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 180_000);

  it('evaluates a CSV mapped onto the model (columns reordered by name), --json', () => {
    const csv = join(dir, 'moons.csv');
    // Columns swapped (y before x) and string labels in the model's class names.
    const rows = ['y,x,label', '1.0,-0.5,0', '0.9,0.0,0', '-0.6,1.0,1', '-0.4,1.6,1'];
    writeFileSync(csv, rows.join('\n') + '\n');
    const r = evalCli([models.deterministic, '--data', csv, '--json', '--device', 'cpu', '--latency-runs', '1']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as ReportJson;
    expect(report.data).toBe(csv);
    expect(report.models[0].test.rows).toBe(4);
    expect(report.models[0].ood).toBeNull();
    expect(report.models[0].figure).toBeNull();
  }, 60_000);

  it('exits 1 with one line for a file that is not a model', () => {
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'this is not an onnx model\n');
    const line = oneErrorLine(evalCli([junk, '--data', 'moons']).stderr);
    expect(line).toContain(junk);
    const r = evalCli([junk, '--data', 'moons']);
    expect(r.status).toBe(1);
  }, 60_000);

  it('exits 1 for a missing model file and for an unknown device', () => {
    const missing = evalCli([join(dir, 'nope.onnx'), '--data', 'moons']);
    expect(missing.status).toBe(1);
    expect(oneErrorLine(missing.stderr)).toMatch(/nope\.onnx: file does not exist/);
    const dev = evalCli([models.sngp, '--data', 'moons', '--device', 'tpu']);
    expect(dev.status).toBe(1);
    expect(oneErrorLine(dev.stderr)).toMatch(/unknown device "tpu"/);
  }, 60_000);

  it('exits 1 for a valid ONNX model that is not one of ours', () => {
    const foreign = join(dir, 'identity.onnx');
    const py = spawnSync('/usr/bin/python3', ['-c', [
      'import onnx, sys', 'from onnx import helper, TensorProto',
      "x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [None, 2])",
      "y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [None, 2])",
      "g = helper.make_graph([helper.make_node('Identity', ['x'], ['y'])], 'g', [x], [y])",
      "m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]); m.ir_version = 8",
      'onnx.save(m, sys.argv[1])',
    ].join('\n'), foreign], { encoding: 'utf8' });
    if (py.status !== 0) return; // python3-onnx missing: covered by the junk-file case
    const r = evalCli([foreign, '--data', 'moons']);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r.stderr)).toMatch(/identity\.onnx.*not an SNGP toolkit model/);
  }, 60_000);

  it('exits 1 when the data width differs from the model, writing no report', () => {
    const csv = join(dir, 'three.csv');
    writeFileSync(csv, 'x,y,z,label\n0,1,2,0\n1,0,2,1\n');
    const out = join(dir, 'no-report');
    const r = evalCli([models.sngp, '--data', csv, '--out', out]);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r.stderr)).toMatch(/three\.csv: data has 3 feature column\(s\) \(x, y, z\), but model .*sngp\.onnx expects 2 \(x, y\)/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('exits 1 with a usage line when --data is missing', () => {
    const r = evalCli([models.sngp]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: required option '--data/);
  });
});
