/**
 * sngp-eval end to end on the main job's models (the suite's shared fixture): the report files,
 * metrics.json, CSV evaluation and the error cases.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHODS, type Method } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import type { ReportJson } from '../src/report.js';
import { evalCli, pipelineModel } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-eval-cli-'));
const models = Object.fromEntries(METHODS.map((m) => [m, pipelineModel(m)])) as Record<Method, string>;

const oneErrorLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^sngp-eval: error: /);
  return lines[0];
};

describe('sngp-eval end to end', () => {
  it('writes a report for the four methods on two moons', () => {
    const out = join(dir, 'report');
    const r = evalCli([...METHODS.map((m) => models[m]), '--data', 'moons', '--out', out, '--device', 'cpu', '--latency-runs', '1']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Model\s+Accuracy\s+NLL\s+Brier\s+ECE\s+ECE uncalibrated\s+ECE floor\s+OOD AUROC/);
    const report = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ReportJson;
    expect(report.models.map((m) => m.method)).toEqual([...METHODS]);
    for (const m of report.models) {
      for (const k of ['accuracy', 'nll', 'brier', 'ece'] as const) expect(Number.isFinite(m.test[k])).toBe(true);
      expect(m.test.accuracy).toBeGreaterThan(0.97);
      expect(m.ood!.rows).toBe(500);
      for (const v of [m.ood!.auroc, m.ood!.aupr]) expect(v >= 0 && v <= 1, `${m.method}: ${v}`).toBe(true);
      expect(m.latency.rows).toBe(10_000);
      expect(m.latency.medianMs).toBeGreaterThan(0);
      expect(m.provider).toBe('cpu');
      expect(m.farCorners).toHaveLength(4);
      // Only SNGP is calibrated at training (its card records the fit): its test ECE before and after.
      if (m.method === 'sngp') expect(m.test.ece).toBeLessThan(m.test.eceUncalibrated!);
      else expect(m.test.eceUncalibrated).toBeUndefined();
    }
    expect(readdirSync(join(out, 'figures')).sort()).toEqual(
      [...METHODS.map((m) => `${m}.png`), 'overview.png', 'ood-histogram.png', 'ood-roc.png', 'reliability.png', 'risk-coverage.png', 'set-size.png'].sort(),
    );
    // The main job's models carry rules (sngp-calibrate on a separate draw): measured on the test draw.
    for (const m of report.models) {
      const c = m.decisions!.conformal!;
      expect(c.expectedCoverage).toBeCloseTo(901 / 1001, 10);
      // 1,000 test rows: the coverage of one calibration draw is within a few points of 0.9.
      expect(Math.abs(c.coverage - c.expectedCoverage), m.method).toBeLessThan(0.04);
      expect(c.sizeShare.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      const a = m.decisions!.abstain!;
      expect(Math.abs(a.keptFraction - 0.95), m.method).toBeLessThan(0.04);
      expect(a.oodCaught! >= 0 && a.oodCaught! <= 1).toBe(true);
    }
    // Only the distance-aware model hands the far OOD cluster over.
    const caught = (method: string) => report.models.find((m) => m.method === method)!.decisions!.abstain!.oodCaught!;
    expect(caught('sngp')).toBeGreaterThan(0.9);
    expect(caught('deterministic')).toBeLessThan(0.5);
    const md = readFileSync(join(out, 'README.md'), 'utf8');
    expect(md).toMatch(/## Decision rules\n\n\| Model \| Sets \| Coverage/);
    expect(md).toMatch(/does not hold under distribution shift/);
    // Tie-free scores: no two OOD rows share a log(1 - max p) score merely by float32 rounding, so the
    // baselines' AUPR is no longer exactly the OOD share (500 / 1500) that ties to the last threshold give.
    for (const m of report.models) expect(m.ood!.aupr, m.method).not.toBeCloseTo(1 / 3, 6);
    expect(r.stdout).toMatch(/OOD detection by score/);
    expect(r.stdout).toMatch(/Selective prediction \(by log\(1 - max p\)\):\nModel\s+AURC/);
    expect(r.stdout).toMatch(/Decision rules from the model cards \(sngp-calibrate\), on the test rows:\nModel\s+Sets\s+Coverage\s+Expected/);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('figures/overview.png');
    // No temporary folder or backup left beside the report by the atomic swap.
    expect(readdirSync(dir).filter((f) => f.includes('.sngp-'))).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'figures', 'index.html', 'metrics.json']);
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
    // python3-onnx is installed by scripts/setup.sh: its absence is a set-up failure, not a skip.
    expect(py.status, py.stderr).toBe(0);
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
    expect(r.stderr).toBe("sngp-eval: error: required option '--data <moons|file>' not specified (see sngp-eval --help)\n");
  });

  it('refuses --out at a folder that is not a report of ours, before loading any model; --force replaces it', () => {
    const out = join(dir, 'my-documents');
    mkdirSync(out);
    writeFileSync(join(out, 'taxes.pdf'), 'not a report');
    // A four-row CSV, not moons: this test is about the output folder, so no grid figures to draw.
    const csv = join(dir, 'four-rows.csv');
    writeFileSync(csv, ['x,y,label', '-0.5,1.0,0', '0.0,0.9,0', '1.0,-0.6,1', '1.6,-0.4,1'].join('\n') + '\n');
    const args = [models.deterministic, '--data', csv, '--device', 'cpu', '--latency-runs', '1', '--out', out];
    const r = evalCli(args);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r.stderr)).toMatch(/--out .*my-documents: exists and is not a report folder written by sngp-eval \(it has no readable metrics\.json\).*--force/);
    expect(r.stderr).not.toMatch(/evaluated/);
    expect(readdirSync(out)).toEqual(['taxes.pdf']);
    expect(readFileSync(join(out, 'taxes.pdf'), 'utf8')).toBe('not a report');
    const forced = evalCli([...args, '--force']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'figures', 'index.html', 'metrics.json']);
    // Now it is a report of ours: replaced without --force. A file the user adds makes it theirs again.
    expect(evalCli(args).status).toBe(0);
    writeFileSync(join(out, 'my-notes.txt'), 'mine');
    const again = evalCli(args);
    expect(again.status).toBe(1);
    expect(oneErrorLine(again.stderr)).toMatch(/it also holds 1 other entry \(my-notes\.txt\)/);
    expect(readFileSync(join(out, 'my-notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(dir).filter((f) => f.includes('.sngp-'))).toEqual([]);
  }, 60_000);

  it('refuses --out at one of its input models, even with --force', () => {
    const before = readFileSync(models.sngp);
    const r = evalCli([models.sngp, '--data', 'moons', '--out', models.sngp, '--force']);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r.stderr)).toMatch(/sngp\.onnx: is an input of this run/);
    expect(readFileSync(models.sngp).equals(before)).toBe(true);
  });
});
