import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { moonsData } from '../src/data.js';
import { evaluateModel } from '../src/evaluate.js';
import { formatMarkdownTable, formatTextTable, metricsTable, oodScoreTable, selectiveTable, writeReport, type ModelReport, type ReportJson } from '../src/report.js';
import { fakeModel } from './fake-model.js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

describe('report', () => {
  it('writes index.html, README.md, PNG figures and metrics.json', async () => {
    const data = moonsData();
    const results = [
      await evaluateModel(fakeModel(), data, { latencyRuns: 1 }),
      await evaluateModel(fakeModel({ distanceAware: true, method: 'sngp' }), data, { latencyRuns: 1 }),
    ];
    const out = join(mkdtempSync(join(tmpdir(), 'sngp-report-')), 'report');
    await writeReport(out, results, data);
    const json = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as ReportJson;
    expect(json.format).toBe('sngp-eval-report');
    expect(json.models.map((m) => m.name)).toEqual(['deterministic', 'sngp']);
    for (const m of json.models) {
      expect(Object.keys(m.test).sort()).toEqual(['accuracy', 'brier', 'ece', 'eceFloor', 'nll', 'rows']);
      expect(m.ood && Object.keys(m.ood).sort()).toEqual(['aupr', 'auroc', 'byScore', 'rows', 'score']);
      expect(m.ood!.score).toBe('logNonMax');
      expect(m.ood!.auroc).toBe(m.ood!.byScore.logNonMax!.auroc);
      expect(m.reliability.length).toBeGreaterThan(0);
      expect(m.reliability.reduce((a, b) => a + b.count, 0)).toBe(m.test.rows);
      expect(m.latency.rows).toBe(10_000);
      expect(m.farCorners).toHaveLength(4);
      // Selective prediction: AURC between 0 and the error rate's worst case, risks at 80/90/95 %,
      // and with the OOD rows mixed in (each an error) an AURC above the test rows' own.
      const s = m.selective;
      expect(s.score).toBe('logNonMax');
      expect(s.riskAtCoverage.map((r) => r.coverage)).toEqual([0.8, 0.9, 0.95]);
      for (const v of [s.aurc, s.aurcWithOod!, s.fprAt95Tpr!, ...s.riskAtCoverage.map((r) => r.risk)]) expect(v >= 0 && v <= 1, `${m.name}: ${v}`).toBe(true);
      expect(s.aurcWithOod!).toBeGreaterThan(s.aurc);
    }
    expect(Object.keys(json.models[1].ood!.byScore)).toEqual(['logNonMax', 'entropy', 'variance']);
    expect(json.models[0].ood!.byScore.variance).toBeUndefined();
    expect(json.diagnosticFigures).toEqual({
      scoreHistogram: 'figures/ood-histogram.png',
      roc: 'figures/ood-roc.png',
      reliability: 'figures/reliability.png',
      riskCoverage: 'figures/risk-coverage.png',
      setSize: null, // the fake models carry no conformal rule
    });
    expect(json.oodData).toMatch(/Gaussian cluster/);
    const figures = ['figures/deterministic.png', 'figures/sngp.png', 'figures/overview.png', 'figures/ood-histogram.png', 'figures/ood-roc.png', 'figures/reliability.png', 'figures/risk-coverage.png'];
    for (const f of figures) {
      const bytes = readFileSync(join(out, f));
      expect(Array.from(bytes.subarray(0, 4))).toEqual(PNG_MAGIC);
      expect(bytes.length).toBeGreaterThan(20_000);
    }
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<img src="figures/overview.png"');
    expect(html).toContain(`<td>${json.models[1].test.accuracy.toFixed(4)}</td>`);
    const md = readFileSync(join(out, 'README.md'), 'utf8');
    expect(md).toContain('](figures/overview.png)');
    for (const f of figures.slice(3)) expect(md).toContain(`](${f})`);
    expect(md).toMatch(/## OOD detection by score\n\n\| Model \| AUROC log\(1 - max p\) \| AUPR log\(1 - max p\) \| AUROC entropy \| AUPR entropy \| AUROC variance \| AUPR variance \|/);
    expect(md).toMatch(/## Scores\n\nUncertainty scores .*log\(1 - max p\) is the log of the total probability .*Entropy .*Variance \(SNGP only\)/);
    expect(html).toContain('<h2>Scores</h2>');
    // Phones: a viewport, tables that scroll in their own box, images that shrink.
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('<div class="table-wrap"><table>');
    expect(html).toMatch(/img \{[^}]*max-width: 100%/);
    // The tutorial's model names and a "what to look for" caption under each surface figure.
    expect(html).toMatch(/<h2>SNGP<\/h2>\n<img src="figures\/sngp.png"[^>]*>\n<figcaption>Away from both moons/);
    expect(html).toMatch(/<h2>Deterministic Model<\/h2>\n<img src="figures\/deterministic.png"[^>]*>\n<figcaption>Look at the red OOD cluster/);
    expect(md).toMatch(/## SNGP\n\n!\[SNGP\]\(figures\/sngp.png\)\n\nAway from both moons/);
    expect(existsSync(join(out, 'metrics.json'))).toBe(true);
  }, 60_000);

  it('formats tables with aligned columns and a Markdown separator', () => {
    const base: ModelReport = {
      name: 'sngp', file: '', method: 'sngp', provider: 'cpu', classes: ['0', '1'], farCorners: null, figure: null, reliability: [],
      test: { accuracy: 0.99, nll: 0.05, brier: 0.02, ece: 0.01, eceUncalibrated: 0.06, eceFloor: 0.03, rows: 10 },
      ood: null, decisions: null,
      latency: { rows: 10, runs: 1, medianMs: 12.345, minMs: 12 },
      selective: { score: 'logNonMax', aurc: 0.004, riskAtCoverage: [{ coverage: 0.8, risk: 0 }], aurcWithOod: null, fprAt95Tpr: null },
    };
    const rows = metricsTable({ models: [base] });
    expect(rows[1]).toEqual(['sngp', '0.9900', '0.0500', '0.0200', '0.0100', '0.0600', '0.0300', '-', '-', '12.3', 'cpu']);
    expect(oodScoreTable({ models: [] })).toBeNull();
    const sel = selectiveTable({ models: [base] });
    expect(sel).toEqual([
      ['Model', 'AURC', 'Risk @ 80 %', 'AURC with OOD', 'FPR @ 95 % TPR'],
      ['sngp', '0.0040', '0.0000', '-', '-'],
    ]);
    const text = formatTextTable(rows).split('\n');
    expect(new Set(text.map((l) => l.length)).size).toBe(1);
    expect(formatMarkdownTable(rows).split('\n')[1]).toMatch(/^\| --- \| ---: \|/);
  });
});
