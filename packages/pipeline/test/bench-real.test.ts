/**
 * The real-data benchmark's reduced version (bench:real --quick) on scikit-learn's wine table:
 * the data a user has (CSV with a header, held-out class as OOD), through the real bins.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHODS } from '@sngp/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConformalRow } from '../src/bench-conformal.js';
import type { AcceptanceCheck, RealDataRow } from '../src/bench-real.js';

const out = mkdtempSync(join(tmpdir(), 'sngp-bench-real-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench:real --quick on wine', () => {
  it('trains, exports and evaluates all four methods with the third cultivar as OOD', () => {
    const script = join(import.meta.dirname, '..', 'dist', 'bench-real.js');
    const r = spawnSync(process.execPath, [script, '--quick', '--datasets', 'wine', '--out', out], { encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { rows: RealDataRow[]; checks: AcceptanceCheck[] };
    expect(results.rows.map((x) => x.method).sort()).toEqual([...METHODS].sort());
    for (const row of results.rows) {
      expect(row.dataset).toBe('wine');
      // Two cultivars, 39 test rows: every method, SNGP included, learns (chance is ~0.55).
      expect(row.accuracy, row.method).toBeGreaterThan(0.75);
      expect(Number.isFinite(row.ece)).toBe(true);
      expect(row.auroc, row.method).not.toBeNull();
    }
    const sngp = results.rows.find((x) => x.method === 'sngp')!;
    const det = results.rows.find((x) => x.method === 'deterministic')!;
    expect(sngp.auroc!).toBeGreaterThan(0.6); // the held-out cultivar is told apart from the test rows
    // The auto kernel scale: SNGP keeps up with the deterministic ResNet (it trailed it by 8 points
    // with the earlier median / 10 rule) and tells the held-out cultivar apart better.
    expect(sngp.accuracy).toBeGreaterThanOrEqual(det.accuracy - 0.015);
    expect(sngp.auroc!).toBeGreaterThan(det.auroc!);
    // The acceptance checks are written beside the table: accuracy, OOD AUROC, AURC with the OOD
    // rows mixed in, and ECE for wine.
    expect(results.checks.map((c) => c.dataset)).toEqual(['wine', 'wine', 'wine', 'wine']);
    expect(results.checks.map((c) => c.check.replace(/ [\d.].*/, ''))).toEqual(['SNGP accuracy', 'SNGP OOD AUROC', 'SNGP AURC with OOD rows', 'SNGP ECE']);
    for (const row of results.rows) expect(row.aurcWithOod! > 0 && row.aurcWithOod! < 1, row.method).toBe(true);
    expect(results.checks.find((c) => c.check.startsWith('SNGP accuracy'))!.pass).toBe(true);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/\| wine \| sngp \|/);
    // The sngp-eval report of the data set, with the OOD figures (any number of features).
    const figures = readdirSync(join(out, 'reports', 'wine', 'figures'));
    for (const f of ['ood-histogram.png', 'ood-roc.png', 'reliability.png']) expect(figures).toContain(f);
    expect(existsSync(join(out, 'data', 'wine-ood.csv'))).toBe(true);
  }, 600_000);

  it('bench:conformal on the same models: coverage over 1,000 random calibration / test splits of the held-out rows', () => {
    const script = join(import.meta.dirname, '..', 'dist', 'bench-conformal.js');
    const r = spawnSync(process.execPath, [script, '--quick', '--datasets', 'wine', '--from', out, '--splits', '1000'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const { rows } = JSON.parse(readFileSync(join(out, 'conformal', 'results.json'), 'utf8')) as { rows: ConformalRow[] };
    // Every method, LAC and both adaptive scores (randomized, as sngp-calibrate writes them).
    expect(rows.map((x) => `${x.method}/${x.score}`).sort()).toEqual(METHODS.flatMap((m) => ['lac', 'aps', 'raps'].map((s) => `${m}/${s}`)).sort());
    for (const row of rows) {
      // 39 held-out rows: 19 calibrate, 20 test; r = ceil(20 * 0.9) = 18 of n + 1 = 20.
      expect(row.calibrationRows).toBe(19);
      expect(row.expected).toBeCloseTo(0.9, 12);
      expect(Math.abs(row.meanCoverage - row.expected), `${row.method} ${row.score}`).toBeLessThanOrEqual(0.01);
      expect(row.meanOk).toBe(true);
      expect(row.minOk).toBeNull(); // fewer than 1,000 test rows: no per-split bound
      expect(row.meanSize > 0 && row.meanSize <= 2).toBe(true);
    }
    expect(r.stdout).toMatch(/12 of 12 pass/);
  }, 300_000);
});

