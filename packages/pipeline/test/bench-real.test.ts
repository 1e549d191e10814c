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
});
