/**
 * sngp-calibrate end to end on copies of the main job's models: the rules it writes into the card,
 * what the runtime then returns, and the refusals (nothing written on an error).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readOnnxHeader, twoMoons } from '@sngp/core';
import { loadModel } from '@sngp/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import type { CalibrationResult } from '../src/calibrate.js';
import { calibrateCli, pipelineModel } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sngp-calibrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function copy(method: string, name = `${method}.onnx`): string {
  const p = join(dir, name);
  copyFileSync(pipelineModel(method), p);
  return p;
}

/** A two-moons CSV "x,y,label" (the fixture's feature names). */
function moonsCsv(name: string, ds: { x: Float32Array; n: number; y?: Int32Array }, rows = ds.n): string {
  const lines = ['x,y,label'];
  for (let i = 0; i < rows; i++) lines.push(`${ds.x[2 * i]},${ds.x[2 * i + 1]},${ds.y![i]}`);
  const p = join(dir, name);
  writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

const oneError = (stderr: string, pattern: RegExp) => {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^sngp-calibrate: error: /);
  expect(lines[0]).toMatch(pattern);
};

describe('sngp-calibrate', () => {
  const { test, ood } = twoMoons(0);
  const cal = moonsCsv('cal.csv', test);

  it('APS sets and a max-error abstain rule from a CSV, in place; predict then returns them', async () => {
    const model = copy('sngp');
    const oodCsv = join(dir, 'ood.csv');
    writeFileSync(oodCsv, ['x,y', ...Array.from({ length: ood.n }, (_, i) => `${ood.x[2 * i]},${ood.x[2 * i + 1]}`)].join('\n') + '\n');
    const r = calibrateCli([model, '--data', cal, '--ood', oodCsv, '--score', 'aps', '--alpha', '0.2', '--abstain', 'max-error:0.001', '--json', '--device', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    const [res] = JSON.parse(r.stdout) as CalibrationResult[];
    expect(res.conformal).toMatchObject({ score: 'aps', alpha: 0.2, n: 1000, source: 'cal.csv' });
    // On the calibration rows themselves the sets cover r / n = ceil(1001 * 0.8) / 1000.
    expect(res.sets!.calibrationCoverage).toBeCloseTo(801 / 1000, 10);
    expect(res.abstain).toMatchObject({ score: 'logNonMax', target: { kind: 'maxError', value: 0.001 }, oodRows: 500 });
    expect(res.abstain!.errorAmongKept).toBeLessThanOrEqual(0.001);
    const m = await loadModel(model, { device: 'cpu' });
    expect(m.info.card.conformal).toEqual(res.conformal);
    expect(m.info.card.abstain).toEqual(res.abstain);
    // Everything else in the card is as exported.
    const before = readOnnxHeader(new Uint8Array(readFileSync(pipelineModel('sngp'))), 'fixture').metadata;
    const after = readOnnxHeader(new Uint8Array(readFileSync(model)), 'calibrated').metadata;
    for (const [k, v] of Object.entries(before)) if (k !== 'sngp.conformal' && k !== 'sngp.abstain') expect(after[k], k).toBe(v);
    const p = await m.predict(test.x);
    const covered = Array.from({ length: p.rows }, (_, i) => p.setMask![2 * i + test.y![i]]).reduce((a, b) => a + b, 0);
    expect(covered).toBe(Math.round(res.sets!.calibrationCoverage * 1000));
    // The OOD share caught is the share of OOD rows whose score is above the threshold.
    const o = await m.predict(ood.x);
    expect(o.abstain!.reduce((a, b) => a + b, 0) / ood.n).toBeCloseTo(res.abstain!.oodCaught!, 12);
    await m.dispose();
  }, 120_000);

  it('--out writes a new file and leaves the model as it was; --no-sets writes an abstain rule only', async () => {
    const model = copy('deterministic');
    const bytes = readFileSync(model);
    const out = join(dir, 'det-calibrated.onnx');
    const r = calibrateCli([model, '--data', 'moons', '--no-sets', '--out', out, '--device', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/abstain when logNonMax > .* \(keep 0.95\): kept 0.9500/);
    expect(readFileSync(model).equals(bytes)).toBe(true);
    const m = await loadModel(out, { device: 'cpu' });
    expect(m.info.card.conformal).toBeUndefined();
    expect(m.info.card.abstain!.source).toMatch(/^moons/);
    const p = await m.predict(test.x);
    expect(p.setMask).toBeUndefined();
    expect(p.abstain!.length).toBe(p.rows);
    await m.dispose();
  }, 120_000);

  it('a Triton repository folder: the card file beside the model is updated too', () => {
    const version = join(dir, 'repo', 'moons', '1');
    mkdirSync(version, { recursive: true });
    const model = join(version, 'model.onnx');
    copyFileSync(pipelineModel('ensemble'), model);
    writeFileSync(join(dir, 'repo', 'moons', 'sngp-card.json'), JSON.stringify(readOnnxHeader(new Uint8Array(readFileSync(model)), 'm').metadata));
    const r = calibrateCli([model, '--data', cal, '--score', 'raps', '--raps-lambda', '0.05', '--device', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    const card = JSON.parse(readFileSync(join(dir, 'repo', 'moons', 'sngp-card.json'), 'utf8')) as Record<string, string>;
    expect(JSON.parse(card['sngp.conformal'])).toMatchObject({ score: 'raps', kReg: 1, lambda: 0.05 });
    expect(card['sngp.abstain']).toBe(readOnnxHeader(new Uint8Array(readFileSync(model)), 'm').metadata['sngp.abstain']);
    // A file of that name that is not our card is never replaced.
    writeFileSync(join(dir, 'repo', 'moons', 'sngp-card.json'), 'my notes');
    expect(calibrateCli([model, '--data', cal, '--device', 'cpu']).status).toBe(0);
    expect(readFileSync(join(dir, 'repo', 'moons', 'sngp-card.json'), 'utf8')).toBe('my notes');
  }, 120_000);

  it('refuses bad input with one line and writes nothing', () => {
    const model = copy('mc-dropout');
    const bytes = readFileSync(model);
    const few = moonsCsv('few.csv', test, 5);
    const cases: [string[], RegExp][] = [
      [[model, '--data', few], /5 rows are too few for alpha 0.1 .*at least 9 rows/],
      [[model, '--data', cal, '--alpha', '1'], /--alpha: expected a number in \(0, 1\), got "1"/],
      [[model, '--data', cal, '--score', 'thr'], /--score: expected one of lac, aps, raps, got "thr"/],
      [[model, '--data', cal, '--abstain', 'keep:1.5'], /--abstain keep: expected a fraction in \(0, 1\], got "1.5"/],
      [[model, '--data', cal, '--abstain-score', 'variance'], /"variance" exists for SNGP models only|no "variance" score/],
      [[model, '--data', cal, '--no-sets', '--abstain', 'none'], /nothing to calibrate/],
      [[model, '--data', cal, '--out', cal], /--out/],
      [[model, copy('sngp', 'other.onnx'), '--data', cal, '--out', join(dir, 'x.onnx')], /--out names one file, but 2 models were given/],
      [[model, '--data', cal, '--raps-lambda', '0.1'], /--raps-k-reg and --raps-lambda are for --score raps, not lac/],
      [[model, '--data', 'moons', '--classes', '0'], /--classes is for a --data file/],
      [[model, '--data', cal, '--no-randomize'], /--no-randomize is for --score aps or raps/],
    ];
    for (const [args, pattern] of cases) {
      const r = calibrateCli([...args, '--device', 'cpu']);
      expect(r.status, args.join(' ')).not.toBe(0);
      oneError(r.stderr, pattern);
      expect(readFileSync(model).equals(bytes), args.join(' ')).toBe(true);
    }
  }, 180_000);
});
