/**
 * The report folder: `index.html` and `README.md` (metrics table + figures), `figures/*.png`,
 * `metrics.json`. Figures are rendered in memory first, then the whole folder is built under a
 * temporary name beside `--out` and swapped in, so `--out` always holds a complete report. Its
 * `metrics.json` (`"format": "sngp-eval-report"`) marks the folder as ours: only such a folder is
 * replaced (unless forced).
 */
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { type OutputKind, describeEntries, writeDirectoryAtomic, writeFileDurable } from '@sngp/core/node';
import type { GridSpec, EvalData } from './data.js';
import { cornerProbabilities } from './evaluate.js';
import { methodFigureSpec, overviewFigureSpec, renderPng, type SurfaceInput } from './figures.js';
import type { ModelResult } from './types.js';

export const REPORT_FORMAT = 'sngp-eval-report';
export const REPORT_FORMAT_VERSION = 1;

/** One model's row of metrics.json (no grid arrays: those live in the figures). */
export interface ModelReport {
  name: string;
  file: string;
  method: string;
  provider: string;
  classes: string[];
  test: ModelResult['test'];
  ood: ModelResult['ood'];
  latency: ModelResult['latency'];
  /** p(class 0) at the grid's four corners, far from the data (two moons only). */
  farCorners: number[] | null;
  figure: string | null;
}

export interface ReportJson {
  format: typeof REPORT_FORMAT;
  formatVersion: number;
  generatedAt: string;
  data: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string };
  models: ModelReport[];
  overviewFigure: string | null;
}

export function machineInfo(): ReportJson['machine'] {
  const c = cpus();
  return { cpus: c.length, cpuModel: c[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}

export function buildReportJson(results: ModelResult[], dataName: string, figures: Map<string, string>, overview: string | null): ReportJson {
  return {
    format: REPORT_FORMAT,
    formatVersion: REPORT_FORMAT_VERSION,
    generatedAt: new Date().toISOString(),
    data: dataName,
    machine: machineInfo(),
    models: results.map((r) => ({
      name: r.name,
      file: r.file,
      method: r.method,
      provider: r.provider,
      classes: r.classes,
      test: r.test,
      ood: r.ood,
      latency: r.latency,
      farCorners: r.grid ? cornerProbabilities(r.grid, r.classes.length) : null,
      figure: figures.get(r.name) ?? null,
    })),
    overviewFigure: overview,
  };
}

const f = (v: number | undefined | null, digits = 4) => (v === undefined || v === null || Number.isNaN(v) ? '-' : v.toFixed(digits));

/** The metrics table as rows of strings (header first); shared by the HTML, Markdown and the CLI. */
export function metricsTable(report: Pick<ReportJson, 'models'>): string[][] {
  const header = ['Model', 'Accuracy', 'NLL', 'Brier', 'ECE', 'OOD AUROC', 'OOD AUPR', 'Latency (ms)', 'Provider'];
  const rows = report.models.map((m) => [
    m.name,
    f(m.test.accuracy),
    f(m.test.nll),
    f(m.test.brier),
    f(m.test.ece),
    f(m.ood?.auroc),
    f(m.ood?.aupr),
    f(m.latency.medianMs, 1),
    m.provider,
  ]);
  return [header, ...rows];
}

/** Fixed-width text table for terminals. */
export function formatTextTable(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function formatMarkdownTable(rows: string[][]): string {
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(rows[0]), `|${rows[0].map((_, j) => (j === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

function describe(report: ReportJson): string[] {
  const m = report.machine;
  const latencyRows = report.models[0]?.latency.rows ?? 0;
  return [
    `Data: ${report.data}. In-domain metrics on the held-out test set (ECE: 15 bins). ` +
      `OOD: the held-out cluster is positive, score = the runtime's uncertainty 1 - max p.`,
    `Latency: median wall time of predict() on ${latencyRows.toLocaleString('en-US')} rows through @sngp/runtime ` +
      `(${m.cpus} x ${m.cpuModel}, Node ${m.node}).`,
  ];
}

export function renderMarkdown(report: ReportJson): string {
  const out = ['# SNGP toolkit evaluation report', '', `Generated ${report.generatedAt}.`, '', ...describe(report).flatMap((l) => [l, '']),
    formatMarkdownTable(metricsTable(report)), ''];
  if (report.overviewFigure) out.push('## All methods', '', `![overview](${report.overviewFigure})`, '');
  for (const m of report.models) if (m.figure) out.push(`## ${m.name}`, '', `![${m.name}](${m.figure})`, '');
  return out.join('\n');
}

export function renderHtml(report: ReportJson): string {
  const rows = metricsTable(report);
  const table = `<table>\n<thead><tr>${rows[0].map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows
    .slice(1)
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n')}\n</tbody>\n</table>`;
  const figs = [
    report.overviewFigure ? `<h2>All methods</h2>\n<img src="${report.overviewFigure}" alt="overview">` : '',
    ...report.models.filter((m) => m.figure).map((m) => `<h2>${escapeHtml(m.name)}</h2>\n<img src="${m.figure}" alt="${escapeHtml(m.name)}">`),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SNGP toolkit evaluation report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; }
</style></head>
<body>
<h1>SNGP toolkit evaluation report</h1>
<p>Generated ${escapeHtml(report.generatedAt)}.</p>
${describe(report).map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
${table}
${figs}
</body></html>
`;
}

function surfaceInput(r: ModelResult, grid: GridSpec, data: EvalData): SurfaceInput {
  if (!r.grid) throw new Error('surfaceInput needs grid probabilities');
  return {
    title: r.name,
    size: grid.size,
    xRange: grid.xRange,
    yRange: grid.yRange,
    probs: r.grid.probs,
    numClasses: r.classes.length,
    train: data.train,
    ood: data.ood,
  };
}

export interface WriteReportOptions {
  /** Called before each figure is rendered (progress display). */
  onFigure?: (name: string) => void;
  /** Replace an existing `outDir` even if it is not a report folder of ours. */
  force?: boolean;
}

/** The files of a report folder; `timings.json` is added by the main job (`npm start`). */
const REPORT_ENTRIES = new Set(['index.html', 'README.md', 'metrics.json', 'figures', 'timings.json']);

/** Why `dir` is not a report folder written by sngp-eval, or null if it is one. */
function recogniseReport(dir: string): string | null {
  if (!statSync(dir).isDirectory()) return 'it is a file';
  let format: unknown;
  try {
    format = (JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { format?: unknown } | null)?.format;
  } catch {
    return 'it has no readable metrics.json';
  }
  if (format !== REPORT_FORMAT) return `its metrics.json has no "format": "${REPORT_FORMAT}"`;
  const others = readdirSync(dir).filter((e) => !REPORT_ENTRIES.has(e));
  if (others.length > 0) return `it also holds ${describeEntries(others)}`;
  let figures: string[] = [];
  try {
    figures = readdirSync(join(dir, 'figures'));
  } catch {
    // no figures (CSV data)
  }
  const notPng = figures.filter((f) => !f.endsWith('.png'));
  if (notPng.length > 0) return `its figures/ also holds ${describeEntries(notPng)}`;
  return null;
}

/** A report folder written by sngp-eval (recognised by its metrics.json). */
export const REPORT_OUTPUT: OutputKind = {
  noun: 'report folder',
  writer: 'sngp-eval',
  directory: true,
  example: 'report',
  recognise: recogniseReport,
};

/**
 * Render the figures (two-dimensional grid data only) and write the report folder atomically. An
 * existing `outDir` is replaced only if it is empty or a report folder of ours (else an SngpError),
 * unless `opts.force`.
 */
export async function writeReport(outDir: string, results: ModelResult[], data: EvalData, opts: WriteReportOptions = {}): Promise<ReportJson> {
  const pngs = new Map<string, Uint8Array>();
  const figures = new Map<string, string>();
  let overview: string | null = null;
  const grid = data.grid;
  const withGrid = results.filter((r) => r.grid);
  if (grid && withGrid.length > 0) {
    for (const r of withGrid) {
      opts.onFigure?.(r.name);
      const file = `figures/${safeName(r.name)}.png`;
      pngs.set(file, await renderPng(methodFigureSpec(surfaceInput(r, grid, data))));
      figures.set(r.name, file);
    }
    opts.onFigure?.('overview');
    overview = 'figures/overview.png';
    pngs.set(overview, await renderPng(overviewFigureSpec(withGrid.map((r) => surfaceInput(r, grid, data)))));
  }
  const report = buildReportJson(results, data.name, figures, overview);
  const files = new Map<string, string | Uint8Array>(pngs);
  files.set('index.html', renderHtml(report));
  files.set('README.md', renderMarkdown(report));
  files.set('metrics.json', JSON.stringify(report, null, 2) + '\n');
  writeDirectoryAtomic(
    outDir,
    (tmp) => {
      for (const [file, bytes] of files) {
        mkdirSync(dirname(join(tmp, file)), { recursive: true });
        writeFileDurable(join(tmp, file), bytes);
      }
    },
    { kind: REPORT_OUTPUT, force: opts.force },
  );
  return report;
}

export const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
