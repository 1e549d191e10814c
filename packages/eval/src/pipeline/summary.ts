/**
 * The main job's closing summary (run by `npm start` after turbo, so it shows on cache hits too):
 * stage timings of the run that produced the outputs, the metrics table and the checks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatTextTable, metricsTable, type ReportJson } from '../report.js';
import type { MethodArtifact } from './models.js';
import { loadPipelineConfig, pipelinePaths } from './config.js';

function readJson<T>(path: string): T | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
}

function main(): void {
  const c = loadPipelineConfig();
  const p = pipelinePaths(c);
  const manifest = readJson<{ totalSeconds: number; methods: MethodArtifact[] }>(p.manifest);
  const report = readJson<ReportJson>(join(p.report, 'metrics.json'));
  const timings = readJson<{ reportSeconds: number }>(join(p.report, 'timings.json'));
  if (!manifest || !report) {
    process.stderr.write('error: no pipeline outputs found; run `npm start`\n');
    process.exit(1);
  }
  const out: string[] = ['', '=== SNGP toolkit main job: summary ===', ''];
  const stageRows = [['Stage', 'Seconds'], ...manifest.methods.flatMap((m) => [
    [`train ${m.method}`, m.trainSeconds.toFixed(1)],
    [`export ${m.method}`, m.exportSeconds.toFixed(1)],
  ])];
  stageRows.push(['models (wall, parallel)', manifest.totalSeconds.toFixed(1)]);
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
    out.push('');
  }
  out.push(`report:  ${relative(process.cwd(), join(p.report, 'index.html'))}`);
  out.push(`models:  ${relative(process.cwd(), p.models)}/{${manifest.methods.map((m) => m.method).join(',')}}.onnx`);
  out.push(`probes:  ${relative(process.cwd(), p.probes)}`);
  process.stdout.write(out.join('\n') + '\n');
}

main();
