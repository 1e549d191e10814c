/**
 * The main job's closing summary (run by `npm start` after turbo, so it shows on cache hits too):
 * stage timings of the run that produced the outputs, the metrics table and the quality checks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SngpError } from '@sngp/core';
import { DISTANCE_AWARENESS_TARGET, formatTextTable, metricsTable, type ReportJson } from '@sngp/eval';
import { REPORT_TIMINGS, loadPipelineConfig, pipelinePaths } from './config.js';
import { type ExportRecord, type TrainRecord, readManifest } from './manifest.js';
import { runStage } from './stage.js';

function readJson<T>(path: string): T | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
}

runStage(() => {
  const c = loadPipelineConfig();
  const p = pipelinePaths(c);
  const trained = readManifest<TrainRecord>(p.trainManifest);
  const exported = readManifest<ExportRecord>(p.exportManifest);
  const report = readJson<ReportJson>(join(p.report, 'metrics.json'));
  const timings = readJson<{ reportSeconds: number }>(join(p.report, REPORT_TIMINGS));
  if (!trained || !exported || !report) throw new SngpError('no pipeline outputs found; run `npm start`');
  const out: string[] = ['', '=== SNGP toolkit main job: summary ===', ''];
  const stageRows = [
    ['Stage', 'Seconds'],
    ...trained.records.map((r) => [`train ${r.method}`, r.seconds.toFixed(1)]),
    ['train (wall, parallel)', trained.totalSeconds.toFixed(1)],
    ...exported.records.map((r) => [`export ${r.method}`, r.seconds.toFixed(1)]),
    ['export (wall, parallel)', exported.totalSeconds.toFixed(1)],
  ];
  if (timings) stageRows.push(['evaluate + report', timings.reportSeconds.toFixed(1)]);
  out.push('Stage timings of the run that produced these outputs (cached runs replay them):', formatTextTable(stageRows), '');
  out.push(formatTextTable(metricsTable(report)), '');
  const sngp = report.models.find((m) => m.method === 'sngp');
  const det = report.models.find((m) => m.method === 'deterministic');
  if (sngp) {
    const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
    out.push(`${mark(sngp.test.accuracy >= 0.97)} SNGP in-domain accuracy ${sngp.test.accuracy.toFixed(4)} (>= 0.97)`);
    if (sngp.ood) out.push(`${mark(sngp.ood.auroc >= 0.95)} SNGP OOD AUROC ${sngp.ood.auroc.toFixed(4)} (>= 0.95)`);
    if (sngp.ood && det?.ood)
      out.push(`${mark(sngp.ood.auroc > det.ood.auroc)} SNGP OOD AUROC above deterministic (${det.ood.auroc.toFixed(4)})`);
    if (sngp.farCorners)
      out.push(`${mark(sngp.farCorners.every((v) => Math.abs(v - 0.5) < 0.1))} SNGP p(class 0) at the grid's far corners: ${sngp.farCorners.map((v) => v.toFixed(3)).join(', ')}`);
    if (det?.farCorners) out.push(`     deterministic p(class 0) at the far corners: ${det.farCorners.map((v) => v.toFixed(3)).join(', ')}`);
    const da = sngp.distanceAwareness;
    if (da)
      out.push(`${mark(da.spearman >= DISTANCE_AWARENESS_TARGET)} SNGP distance awareness: Spearman(uncertainty on the grid, distance to the data) ${da.spearman.toFixed(3)} (>= ${DISTANCE_AWARENESS_TARGET}; variance ${da.byScore.variance?.toFixed(3) ?? '-'}, deterministic ${det?.distanceAwareness?.spearman.toFixed(3) ?? '-'})`);
    // The decision rules sngp-calibrate wrote at export, measured on the test draw (1,000 rows: a
    // calibrated rule's coverage lands within a few points of its expectation).
    const c = sngp.decisions?.conformal;
    if (c)
      out.push(`${mark(Math.abs(c.coverage - c.expectedCoverage) <= 0.03)} SNGP conformal sets (${c.score.toUpperCase()}, alpha ${c.alpha}): test coverage ${c.coverage.toFixed(3)} (expected ${c.expectedCoverage.toFixed(4)}, within 0.03), mean size ${c.meanSize.toFixed(3)}`);
    const a = sngp.decisions?.abstain;
    const detA = det?.decisions?.abstain;
    if (a && a.oodCaught !== null)
      out.push(`${mark(detA?.oodCaught == null || a.oodCaught > detA.oodCaught)} SNGP abstain rule: answers ${a.keptFraction.toFixed(3)} of the test rows, hands over ${a.oodCaught.toFixed(3)} of the OOD rows (deterministic ${detA?.oodCaught?.toFixed(3) ?? '-'})`);
    out.push('');
  }
  out.push(`report:  ${relative(process.env.INIT_CWD ?? process.cwd(), join(p.report, 'index.html'))}`);
  out.push(`models:  ${relative(process.env.INIT_CWD ?? process.cwd(), p.models)}/{${exported.records.map((r) => r.method).join(',')}}.onnx`);
  process.stdout.write(out.join('\n') + '\n');
});
