export type {
  EvalModel,
  EvalModelInfo,
  EvalPrediction,
  ClassificationMetrics,
  OodMetrics,
  LatencyResult,
  ModelResult,
} from './types.js';
export { LATENCY_ROWS, type EvalData, type GridSpec, moonsData, csvData, alignFeatures, tileRows } from './data.js';
export {
  ECE_BINS,
  classificationMetrics,
  oodMetrics,
  measureLatency,
  evaluateModel,
  cornerProbabilities,
  type EvaluateOptions,
} from './evaluate.js';
export { type SurfaceInput, methodFigureSpec, overviewFigureSpec, renderSvg, svgToPng, renderPng } from './figures.js';
export {
  REPORT_FORMAT,
  REPORT_FORMAT_VERSION,
  type ReportJson,
  type ModelReport,
  buildReportJson,
  writeReport,
  renderHtml,
  renderMarkdown,
  metricsTable,
  formatTextTable,
  formatMarkdownTable,
} from './report.js';
export { type RunOptions, type RunResult, runEvaluation } from './run.js';
export { loadEvalModel, parseDevice } from './load.js';
