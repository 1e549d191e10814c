import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { moonsData } from '../src/data.js';
import { evaluateModel } from '../src/evaluate.js';
import { formatMarkdownTable, formatTextTable, metricsTable, writeReport, type ReportJson } from '../src/report.js';
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
      expect(Object.keys(m.test).sort()).toEqual(['accuracy', 'brier', 'ece', 'nll', 'rows']);
      expect(m.ood && Object.keys(m.ood).sort()).toEqual(['aupr', 'auroc', 'rows']);
      expect(m.latency.rows).toBe(10_000);
      expect(m.farCorners).toHaveLength(4);
    }
    for (const f of ['figures/deterministic.png', 'figures/sngp.png', 'figures/overview.png']) {
      const bytes = readFileSync(join(out, f));
      expect(Array.from(bytes.subarray(0, 4))).toEqual(PNG_MAGIC);
      expect(bytes.length).toBeGreaterThan(50_000);
    }
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<img src="figures/overview.png"');
    expect(html).toContain(`<td>${json.models[1].test.accuracy.toFixed(4)}</td>`);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('![overview](figures/overview.png)');
    expect(existsSync(join(out, 'metrics.json'))).toBe(true);
  }, 60_000);

  it('formats tables with aligned columns and a Markdown separator', () => {
    const rows = metricsTable({
      models: [
        {
          name: 'sngp', file: '', method: 'sngp', provider: 'cpu', classes: ['0', '1'], farCorners: null, figure: null,
          test: { accuracy: 0.99, nll: 0.05, brier: 0.02, ece: 0.01, rows: 10 },
          ood: null,
          latency: { rows: 10, runs: 1, medianMs: 12.345, minMs: 12 },
        },
      ],
    });
    expect(rows[1]).toEqual(['sngp', '0.9900', '0.0500', '0.0200', '0.0100', '-', '-', '12.3', 'cpu']);
    const text = formatTextTable(rows).split('\n');
    expect(new Set(text.map((l) => l.length)).size).toBe(1);
    expect(formatMarkdownTable(rows).split('\n')[1]).toMatch(/^\| --- \| ---: \|/);
  });
});
