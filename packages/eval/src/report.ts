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
import { type CalibrationBin, DEFAULT_UNCERTAINTY_SCORE, METHOD_CAPTIONS, METHOD_LABELS, type UncertaintyScoreName, rocCurve } from '@sngp/core';
import { type OutputKind, describeEntries, writeDirectoryAtomic, writeFileDurable } from '@sngp/core/node';
import type { GridSpec, EvalData } from './data.js';
import type { RiskCoverageInput, RocInput } from './diagnostic-figures.js';
import { SCORE_ORDER, cornerProbabilities } from './evaluate.js';
import type { SurfaceInput } from './figures.js';
import type { DecisionResult, ModelResult } from './types.js';

export const REPORT_FORMAT = 'sngp-eval-report';
/**
 * 2: per-score OOD metrics (`ood.score`, `ood.byScore`), `reliability`, `oodData`, `diagnosticFigures`;
 * 3: `selective` per model, `test.eceFloor`, `diagnosticFigures.riskCoverage`;
 * 4: `decisions` per model (the card's conformal and abstain rules), `diagnosticFigures.setSize`.
 */
export const REPORT_FORMAT_VERSION = 4;

/** One model's row of metrics.json (no per-row arrays: those live in the figures). */
export interface ModelReport {
  name: string;
  file: string;
  method: string;
  provider: string;
  classes: string[];
  test: ModelResult['test'];
  /** The reliability diagram's non-empty confidence bins (test set). */
  reliability: CalibrationBin[];
  /** OOD detection: `auroc` / `aupr` of the default score (`score`), and every score in `byScore`. */
  ood: ModelResult['ood'];
  latency: ModelResult['latency'];
  /** Selective prediction by the default score: AURC, risk at coverage, AURC with OOD rows, FPR at 95 % TPR. */
  selective: ModelResult['selective'];
  /** The card's decision rules on the test and OOD rows (coverage, set size, abstain), or null without rules. */
  decisions: Omit<DecisionResult, 'setSizeByUncertainty'> | null;
  /** p(class 0) at the grid's four corners, far from the data (two moons only). */
  farCorners: number[] | null;
  /** Spearman correlation of the grid's uncertainty with the distance to the training data (two moons only). */
  distanceAwareness?: ModelResult['distanceAwareness'];
  /** The model's surface figure (two moons only). */
  figure: string | null;
}

/** Figures of the whole report (paths inside the folder), null when not drawn. */
export interface ReportFigures {
  /** All methods' surfaces (two moons only). */
  overview: string | null;
  /** Histogram of the default score, in-domain vs OOD (with OOD rows). */
  scoreHistogram: string | null;
  /** ROC curves of OOD detection (with OOD rows). */
  roc: string | null;
  /** Reliability diagrams of the test set. */
  reliability: string | null;
  /** Risk-coverage curves (test rows; with OOD rows mixed in, dashed). */
  riskCoverage: string | null;
  /** Conformal set size against uncertainty (models with a conformal rule). */
  setSize: string | null;
}

export interface ReportJson {
  format: typeof REPORT_FORMAT;
  formatVersion: number;
  generatedAt: string;
  /** The in-domain rows: "moons" or the file (and its --classes). */
  data: string;
  /** The OOD rows (the two-moons cluster or the --ood file and its --ood-classes), or null. */
  oodData: string | null;
  /** The score behind the OOD AUROC / AUPR columns. */
  defaultScore: UncertaintyScoreName;
  machine: { cpus: number; cpuModel: string; node: string; platform: string };
  models: ModelReport[];
  overviewFigure: string | null;
  /** The histogram, ROC and reliability figures (any number of features). */
  diagnosticFigures: Omit<ReportFigures, 'overview'>;
}

export function machineInfo(): ReportJson['machine'] {
  const c = cpus();
  return { cpus: c.length, cpuModel: c[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}

/** The report-wide figures but the overview (which metrics.json keeps apart). */
function diagnosticFigures({ overview: _, ...rest }: ReportFigures): ReportJson['diagnosticFigures'] {
  return rest;
}

const NO_FIGURES: ReportFigures = { overview: null, scoreHistogram: null, roc: null, reliability: null, riskCoverage: null, setSize: null };

/**
 * metrics.json's contents.
 * @param results - the evaluated models.
 * @param data - names of the in-domain and OOD rows.
 * @param modelFigures - each model's surface figure by model name (two moons).
 * @param figures - the report-wide figures.
 * @returns the report.
 */
export function buildReportJson(
  results: ModelResult[],
  data: Pick<EvalData, 'name' | 'oodName'>,
  modelFigures: Map<string, string> = new Map(),
  figures: ReportFigures = NO_FIGURES,
): ReportJson {
  return {
    format: REPORT_FORMAT,
    formatVersion: REPORT_FORMAT_VERSION,
    generatedAt: new Date().toISOString(),
    data: data.name,
    oodData: data.oodName,
    defaultScore: DEFAULT_UNCERTAINTY_SCORE,
    machine: machineInfo(),
    models: results.map((r) => ({
      name: r.name,
      file: r.file,
      method: r.method,
      provider: r.provider,
      classes: r.classes,
      test: r.test,
      reliability: r.reliability.filter((b) => b.count > 0),
      ood: r.ood,
      latency: r.latency,
      selective: r.selective,
      decisions: r.decisions && { conformal: r.decisions.conformal, abstain: r.decisions.abstain },
      farCorners: r.grid ? cornerProbabilities(r.grid, r.classes.length) : null,
      distanceAwareness: r.distanceAwareness,
      figure: modelFigures.get(r.name) ?? null,
    })),
    overviewFigure: figures.overview,
    diagnosticFigures: diagnosticFigures(figures),
  };
}

const f = (v: number | undefined | null, digits = 4) => (v === undefined || v === null || Number.isNaN(v) ? '-' : v.toFixed(digits));

/** How each score is called in tables, legends and axes. */
export const SCORE_LABELS: Record<UncertaintyScoreName, string> = {
  logNonMax: 'log(1 - max p)',
  entropy: 'entropy',
  variance: 'variance',
};

/**
 * The metrics table as rows of strings (header first); shared by the HTML, Markdown and the CLI.
 * OOD AUROC / AUPR are the default score's (log(1 - max p)); see {@link oodScoreTable} for all.
 */
export function metricsTable(report: Pick<ReportJson, 'models'>): string[][] {
  const header = ['Model', 'Accuracy', 'NLL', 'Brier', 'ECE', 'ECE uncalibrated', 'ECE floor', 'OOD AUROC', 'OOD AUPR', 'Latency (ms)', 'Provider'];
  const rows = report.models.map((m) => [
    m.name,
    f(m.test.accuracy),
    f(m.test.nll),
    f(m.test.brier),
    f(m.test.ece),
    f(m.test.eceUncalibrated),
    f(m.test.eceFloor),
    f(m.ood?.auroc),
    f(m.ood?.aupr),
    f(m.latency.medianMs, 1),
    m.provider,
  ]);
  return [header, ...rows];
}

/**
 * Selective prediction by the default score: AURC and risk at 80 / 90 / 95 % coverage on the test
 * rows, and with OOD rows the AURC with them mixed in and the FPR at 95 % TPR.
 */
export function selectiveTable(report: Pick<ReportJson, 'models'>): string[][] {
  const coverages = report.models[0]?.selective.riskAtCoverage.map((r) => r.coverage) ?? [];
  const header = ['Model', 'AURC', ...coverages.map((c) => `Risk @ ${Math.round(c * 100)} %`), 'AURC with OOD', 'FPR @ 95 % TPR'];
  const rows = report.models.map((m) => [
    m.name,
    f(m.selective.aurc),
    ...m.selective.riskAtCoverage.map((r) => f(r.risk)),
    f(m.selective.aurcWithOod),
    f(m.selective.fprAt95Tpr),
  ]);
  return [header, ...rows];
}

/**
 * The card's decision rules on the test rows, or null when no model has one: the conformal sets'
 * coverage against what the calibration promises, their mean size (and on OOD rows), the share of
 * empty and multi-class sets, and the abstain rule's kept share, error among kept and OOD caught.
 */
export function decisionTable(report: Pick<ReportJson, 'models'>): string[][] | null {
  if (!report.models.some((m) => m.decisions)) return null;
  const header = ['Model', 'Sets', 'Coverage', 'Expected', 'Mean size', 'Empty', '> 1 class', 'OOD mean size', 'Abstain when', 'Kept', 'Error among kept', 'OOD caught'];
  const rows = report.models.map((m) => {
    const c = m.decisions?.conformal;
    const a = m.decisions?.abstain;
    const multi = c ? c.sizeShare.slice(2).reduce((x, y) => x + y, 0) : null;
    return [
      m.name,
      c ? `${c.score.toUpperCase()}, alpha ${c.alpha}, n ${c.calibrationRows}` : '-',
      f(c?.coverage),
      f(c?.expectedCoverage),
      f(c?.meanSize, 3),
      f(c?.sizeShare[0]),
      f(multi),
      f(c?.oodMeanSize, 3),
      a ? `${SCORE_LABELS[a.score]} > ${a.threshold.toPrecision(4)}` : '-',
      f(a?.keptFraction),
      f(a?.errorAmongKept),
      f(a?.oodCaught),
    ];
  });
  return [header, ...rows];
}

/** What the guarantee of the decision rules is and is not (one paragraph). */
export const DECISION_PARAGRAPH =
  'Decision rules from the model card (sngp-calibrate). A conformal set holds every class whose score is within the ' +
  'quantile calibrated on n held-out rows; "Expected" is ceil((n + 1)(1 - alpha)) / (n + 1), the coverage promised on ' +
  'average over calibration draws for new rows exchangeable with the calibration rows. It is not a per-row promise, and ' +
  'it does not hold under distribution shift: OOD rows, or in-domain data that drifted, can be covered far less often ' +
  '(larger sets on OOD rows are what a distance-aware model should show). An empty set means no class reaches the ' +
  'threshold: treat it like a large one and hand the row over. The abstain threshold was chosen on held-out rows for its ' +
  'target (e.g. answer 95 %); "Kept" and "Error among kept" are what it does on these test rows, "OOD caught" the share ' +
  'of OOD rows it hands over. Test coverage on a few hundred rows varies by a few points around the expected value.';

/** What the selective-prediction table means (one paragraph). */
export const SELECTIVE_PARAGRAPH =
  'Selective prediction: answer the least uncertain rows (by the default score) and hand the rest over. Risk @ c is the ' +
  'error rate among the answered rows when a share c of the test rows is answered; AURC is the mean risk over all ' +
  'coverages (lower is better; a score that ranks nothing gives the error rate). "AURC with OOD" mixes the OOD rows into ' +
  'the test rows, each counted as an error, so it rewards a score that answers OOD rows last. FPR @ 95 % TPR: the share of ' +
  'test rows flagged when the threshold catches 95 % of the OOD rows.';

/**
 * OOD detection by every score (AUROC and AUPR per score; "-" where a model has no such score),
 * or null when no model has OOD rows.
 */
export function oodScoreTable(report: Pick<ReportJson, 'models'>): string[][] | null {
  if (!report.models.some((m) => m.ood)) return null;
  const names = SCORE_ORDER.filter((s) => report.models.some((m) => m.ood?.byScore[s]));
  const header = ['Model', ...names.flatMap((s) => [`AUROC ${SCORE_LABELS[s]}`, `AUPR ${SCORE_LABELS[s]}`])];
  const rows = report.models.map((m) => [m.name, ...names.flatMap((s) => [f(m.ood?.byScore[s]?.auroc), f(m.ood?.byScore[s]?.aupr)])]);
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

/**
 * What each uncertainty score is (the report's "Scores" paragraph).
 * @returns one paragraph of plain text.
 */
export function scoresParagraph(): string {
  return (
    'Uncertainty scores (higher = less certain), computed by the runtime in float64 from the logits, never from rounded ' +
    'probabilities: log(1 - max p) is the log of the total probability of the classes other than the predicted one, taken ' +
    'as a logsumexp of their log-probabilities; it ranks rows as 1 - max p does, but stays distinct where float32 ' +
    '1 - max p is exactly 0 (max p above 1 - 6e-8), ties that used to make the baselines\' OOD AUROC and AUPR ' +
    'artefacts. It is the default score, behind the OOD AUROC / AUPR columns. Entropy is the predictive entropy ' +
    '-sum p log p (nats). Variance (SNGP only) is the Gaussian-process posterior variance, its distance-from-the-training-data ' +
    'signal. Probabilities are the softmax (deterministic), the mean-field softmax (SNGP) and the mean over samples or ' +
    'members (MC dropout, ensemble: log p = logsumexp over samples of log softmax, minus log S).'
  );
}

function describe(report: ReportJson): string[] {
  const m = report.machine;
  const latencyRows = report.models[0]?.latency.rows ?? 0;
  const ood = report.oodData
    ? `OOD: ${report.oodData} (positive) against the test set (negative), scored by ${SCORE_LABELS[report.defaultScore]} (see Scores).`
    : 'No OOD rows (pass --ood <file>).';
  return [
    `Data: ${report.data}. In-domain metrics on the held-out test set (ECE: 15 bins). ${ood}`,
    `Latency: median wall time of predict() on ${latencyRows.toLocaleString('en-US')} rows through @sngp/runtime ` +
      `(${m.cpus} x ${m.cpuModel}, Node ${m.node}).`,
  ];
}

const SURFACES_CAPTION =
  'Left: the class probability p(class 0); right: the predictive uncertainty p(1 - p), divided by its maximum over the grid ' +
  '(the tutorial\'s normalisation, so each model\'s most uncertain spot is 1). Blue and orange: training points; red diamonds: ' +
  'the out-of-domain cluster, never seen in training. A distance-aware model is uncertain (yellow) away from the data.';

/**
 * A model's display name: the tutorial's name when the model is named after its method.
 * @param m - the model's name and method.
 * @returns e.g. "SNGP" for a model named "sngp", else its own name.
 */
export function displayName(m: { name: string; method: string }): string {
  return m.name === m.method ? ((METHOD_LABELS as Readonly<Record<string, string>>)[m.method] ?? m.name) : m.name;
}

/** The report's figures with their headings and captions, in reading order. */
function figureList(report: ReportJson): { title: string; file: string; caption?: string }[] {
  const d = report.diagnosticFigures;
  const out: { title: string; file: string; caption?: string }[] = [];
  if (report.overviewFigure) out.push({ title: 'All methods', file: report.overviewFigure, caption: SURFACES_CAPTION });
  if (d.scoreHistogram) out.push({ title: `OOD detection: ${SCORE_LABELS[report.defaultScore]}, in-domain vs OOD`, file: d.scoreHistogram });
  if (d.roc) out.push({ title: 'OOD detection: ROC curves', file: d.roc });
  if (d.reliability) out.push({ title: 'Calibration: reliability diagrams', file: d.reliability });
  if (d.riskCoverage) out.push({ title: 'Selective prediction: risk-coverage curves', file: d.riskCoverage });
  if (d.setSize) out.push({ title: 'Decision rules: conformal set size against uncertainty', file: d.setSize });
  for (const m of report.models) if (m.figure) out.push({ title: displayName(m), file: m.figure, caption: (METHOD_CAPTIONS as Readonly<Record<string, string>>)[m.method] });
  return out;
}

export function renderMarkdown(report: ReportJson): string {
  const out = ['# SNGP toolkit evaluation report', '', `Generated ${report.generatedAt}.`, '', ...describe(report).flatMap((l) => [l, '']),
    formatMarkdownTable(metricsTable(report)), ''];
  const scores = oodScoreTable(report);
  if (scores) out.push('## OOD detection by score', '', formatMarkdownTable(scores), '');
  out.push('## Selective prediction', '', formatMarkdownTable(selectiveTable(report)), '', SELECTIVE_PARAGRAPH, '');
  const decisions = decisionTable(report);
  if (decisions) out.push('## Decision rules', '', formatMarkdownTable(decisions), '', DECISION_PARAGRAPH, '');
  out.push('## Scores', '', scoresParagraph(), '');
  for (const fig of figureList(report)) out.push(`## ${fig.title}`, '', `![${fig.title}](${fig.file})`, '', ...(fig.caption ? [fig.caption, ''] : []));
  return out.join('\n');
}

function htmlTable(rows: string[][]): string {
  // Wide tables scroll inside their box, never the page (phones).
  return `<div class="table-wrap"><table>\n<thead><tr>${rows[0].map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows
    .slice(1)
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('\n')}\n</tbody>\n</table></div>`;
}

export function renderHtml(report: ReportJson): string {
  const scores = oodScoreTable(report);
  const decisions = decisionTable(report);
  const figs = figureList(report)
    .map(
      (fig) =>
        `<figure>\n<h2>${escapeHtml(fig.title)}</h2>\n<img src="${fig.file}" alt="${escapeHtml(fig.title)}">` +
        `${fig.caption ? `\n<figcaption>${escapeHtml(fig.caption)}</figcaption>` : ''}\n</figure>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SNGP toolkit evaluation report</title>
<style>
*, *::before, *::after { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 1100px; color: #222; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: 1rem 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 0; }
img { display: block; max-width: 100%; height: auto; }
figcaption { color: #444; margin: .25rem 0 0; max-width: 60rem; }
</style></head>
<body>
<h1>SNGP toolkit evaluation report</h1>
<p>Generated ${escapeHtml(report.generatedAt)}.</p>
${describe(report).map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
${htmlTable(metricsTable(report))}
${scores ? `<h2>OOD detection by score</h2>\n${htmlTable(scores)}` : ''}
<h2>Selective prediction</h2>
${htmlTable(selectiveTable(report))}
<p>${escapeHtml(SELECTIVE_PARAGRAPH)}</p>
${decisions ? `<h2>Decision rules</h2>\n${htmlTable(decisions)}\n<p>${escapeHtml(DECISION_PARAGRAPH)}</p>` : ''}
<h2>Scores</h2>
<p>${escapeHtml(scoresParagraph())}</p>
${figs}
</body></html>
`;
}

function surfaceInput(r: ModelResult, grid: GridSpec, data: EvalData): SurfaceInput {
  if (!r.grid) throw new Error('surfaceInput needs grid probabilities');
  return {
    title: displayName(r),
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

/** Report-wide figure files; a model's surface figure never takes one of these names. */
const REPORT_FIGURES = {
  overview: 'figures/overview.png',
  scoreHistogram: 'figures/ood-histogram.png',
  roc: 'figures/ood-roc.png',
  reliability: 'figures/reliability.png',
  riskCoverage: 'figures/risk-coverage.png',
  setSize: 'figures/set-size.png',
};

/** The ROC curves: every model's default score, and SNGP's variance (dashed). */
function rocInputs(results: ModelResult[]): RocInput[] {
  const curves: RocInput[] = [];
  for (const r of results) {
    const { test, ood } = r.scores;
    if (!r.ood || !ood) continue;
    const names: UncertaintyScoreName[] = r.ood.byScore.variance ? [DEFAULT_UNCERTAINTY_SCORE, 'variance'] : [DEFAULT_UNCERTAINTY_SCORE];
    for (const name of names) {
      const a = test[name] as Float64Array;
      const b = ood[name] as Float64Array;
      const scores = new Float64Array(a.length + b.length);
      scores.set(a);
      scores.set(b, a.length);
      const positive = new Uint8Array(scores.length).fill(1, a.length);
      curves.push({ label: `${r.name}: ${SCORE_LABELS[name]}`, ...rocCurve(scores, positive), auroc: r.ood.byScore[name]!.auroc, dashed: name !== DEFAULT_UNCERTAINTY_SCORE });
    }
  }
  return curves;
}

/** The risk-coverage curves: every model's test rows, and with OOD rows mixed in (dashed). */
function riskCoverageInputs(results: ModelResult[]): RiskCoverageInput[] {
  return results.flatMap((r) => [
    { label: `${r.name} (AURC ${r.selective.aurc.toFixed(4)})`, curve: r.selectiveCurves.test, dashed: false },
    ...(r.selectiveCurves.withOod ? [{ label: `${r.name} + OOD rows (AURC ${r.selective.aurcWithOod!.toFixed(4)})`, curve: r.selectiveCurves.withOod, dashed: true }] : []),
  ]);
}

/**
 * Render the figures and write the report folder atomically: the surfaces (two-dimensional grid
 * data only), and for any data the reliability diagrams and, with OOD rows, the score histogram
 * and ROC curves. An existing `outDir` is replaced only if it is empty or a report folder of ours
 * (else an SngpError), unless `opts.force`.
 */
export async function writeReport(outDir: string, results: ModelResult[], data: EvalData, opts: WriteReportOptions = {}): Promise<ReportJson> {
  // The figure modules load vega, vega-lite and resvg (about 0.3 s): only a run that writes a
  // report pays for them, not `--json` alone nor a run refused on its input.
  const [{ methodFigureSpec, overviewFigureSpec, renderPng }, { reliabilitySpec, riskCoverageSpec, rocSpec, scoreHistogramSpec, setSizeSpec }] = await Promise.all([
    import('./figures.js'),
    import('./diagnostic-figures.js'),
  ]);
  const pngs = new Map<string, Uint8Array>();
  const modelFigures = new Map<string, string>();
  const figures: ReportFigures = { ...NO_FIGURES };
  const reserved = new Set(Object.values(REPORT_FIGURES));
  const grid = data.grid;
  const withGrid = results.filter((r) => r.grid);
  if (grid && withGrid.length > 0) {
    for (const r of withGrid) {
      opts.onFigure?.(r.name);
      let file = `figures/${safeName(r.name)}.png`;
      if (reserved.has(file)) file = `figures/${safeName(r.name)}-surfaces.png`;
      pngs.set(file, await renderPng(methodFigureSpec(surfaceInput(r, grid, data))));
      modelFigures.set(r.name, file);
    }
    opts.onFigure?.('overview');
    figures.overview = REPORT_FIGURES.overview;
    pngs.set(figures.overview, await renderPng(overviewFigureSpec(withGrid.map((r) => surfaceInput(r, grid, data)))));
  }
  const withOod = results.filter((r) => r.ood && r.scores.ood);
  if (withOod.length > 0) {
    opts.onFigure?.('OOD score histogram');
    figures.scoreHistogram = REPORT_FIGURES.scoreHistogram;
    const score = DEFAULT_UNCERTAINTY_SCORE;
    const inputs = withOod.map((r) => ({ name: r.name, test: r.scores.test[score] as Float64Array, ood: r.scores.ood![score] as Float64Array, auroc: r.ood!.auroc }));
    pngs.set(figures.scoreHistogram, await renderPng(scoreHistogramSpec(inputs, `${SCORE_LABELS[score]} (natural log)`)));
    opts.onFigure?.('ROC curves');
    figures.roc = REPORT_FIGURES.roc;
    pngs.set(figures.roc, await renderPng(rocSpec(rocInputs(withOod))));
  }
  if (results.length > 0) {
    opts.onFigure?.('reliability diagrams');
    figures.reliability = REPORT_FIGURES.reliability;
    pngs.set(figures.reliability, await renderPng(reliabilitySpec(results.map((r) => ({ name: r.name, bins: r.reliability, ece: r.test.ece })))));
    opts.onFigure?.('risk-coverage curves');
    figures.riskCoverage = REPORT_FIGURES.riskCoverage;
    pngs.set(figures.riskCoverage, await renderPng(riskCoverageSpec(riskCoverageInputs(results))));
  }
  const withSets = results.filter((r) => r.decisions?.setSizeByUncertainty);
  if (withSets.length > 0) {
    opts.onFigure?.('set size against uncertainty');
    figures.setSize = REPORT_FIGURES.setSize;
    const inputs = withSets.map((r) => ({ label: `${r.name} (coverage ${r.decisions!.conformal!.coverage.toFixed(3)}, mean size ${r.decisions!.conformal!.meanSize.toFixed(2)})`, ...r.decisions!.setSizeByUncertainty! }));
    pngs.set(figures.setSize, await renderPng(setSizeSpec(inputs, withSets[0].classes.length)));
  }
  const report = buildReportJson(results, data, modelFigures, figures);
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
