export type {
  EvalModel,
  EvalModelInfo,
  EvalPrediction,
  ClassificationMetrics,
  OodMetrics,
  OodResult,
  LatencyResult,
  ModelResult,
  SelectiveResult,
  SelectiveCurves,
} from './types.js';
export { REPORT_COVERAGES, selectivePrediction } from './selective.js';
export {
  LATENCY_ROWS,
  MOONS_OOD_NAME,
  type EvalData,
  type GridSpec,
  type LoadedData,
  moonsData,
  loadEvalData,
  dataForModel,
  alignFeatures,
  checkDataFitsModel,
  tileRows,
} from './data.js';
export { type DataOptions, type OodCsvColumns, checkDataOptions, loadDataFile, loadOodFile, oodCsvColumns, readIdxImages } from './user-data.js';
export { parseClassList, keepClasses, mapOntoModelClasses } from './classes.js';
export {
  ECE_BINS,
  classificationMetrics,
  oodMetrics,
  oodDetection,
  SCORE_ORDER,
  measureLatency,
  evaluateModel,
  cornerProbabilities,
  type EvaluateOptions,
} from './evaluate.js';
export {
  DISTANCE_AWARENESS_TARGET,
  type DistanceAwareness,
  distanceAwareness,
  nearestDistances,
  midranks,
  spearman,
} from './distance-awareness.js';
export { type SurfaceInput, methodFigureSpec, overviewFigureSpec, renderSvg, svgToPng, renderPng } from './figures.js';
export {
  type Histogram,
  type ScoreHistogramInput,
  type RocInput,
  type ReliabilityInput,
  type RiskCoverageInput,
  histogram,
  thinCurve,
  scoreHistogramSpec,
  rocSpec,
  riskCoverageSpec,
  reliabilitySpec,
} from './diagnostic-figures.js';
export {
  REPORT_FORMAT,
  REPORT_FORMAT_VERSION,
  type ReportJson,
  type ModelReport,
  type ReportFigures,
  SCORE_LABELS,
  buildReportJson,
  oodScoreTable,
  selectiveTable,
  decisionTable,
  DECISION_PARAGRAPH,
  SELECTIVE_PARAGRAPH,
  scoresParagraph,
  writeReport,
  renderHtml,
  renderMarkdown,
  metricsTable,
  formatTextTable,
  formatMarkdownTable,
} from './report.js';
export { type RunOptions, type RunResult, runEvaluation } from './run.js';
export { loadEvalModel, parseDevice } from './load.js';
export { type CalibrateOptions, type CalibrationResult, decisionRules, describeCalibration, runCalibration } from './calibrate.js';
