#!/usr/bin/env node
/** `sngp-export`: checkpoint directory -> verified ONNX model. */
import {
  CLI_FORCE_HELP,
  CLI_VERBOSE_HELP,
  ONNX_MODEL_OUTPUT,
  checkOutputPath,
  readCheckpoint,
  runCli,
  SngpError,
  writeFileAtomic,
} from '@sngp/core/node';
import { basename, join, resolve } from 'node:path';
import { Command } from 'commander';
import { exportModel, type ExportReport } from './export.js';
import { TRITON_MODEL_OUTPUT, writeTritonModel } from './triton-write.js';
import { RANDOM_FEATURE_OPS, type RandomFeatureOp } from './graphs/sngp.js';
import { DEFAULT_VARIANCE_TOLERANCE, POSTERIOR_CHOICES, type PosteriorChoice } from './posterior.js';
import { type VerificationCoverage, defaultCoverage } from './verification-points.js';
import { verifyModel, type VerifyReport } from './verify.js';

const COVERAGES = ['auto', 'full', 'sample'] as const;

interface CliOptions {
  out?: string;
  triton?: string;
  name?: string;
  tritonMaxBatch: string;
  as?: string;
  mcSamples?: string;
  posterior: string;
  varianceTolerance: string;
  randomFeatures: string;
  verifyPoints: string;
  verify: boolean;
  meanFieldProbs: boolean;
  json: boolean;
  force?: boolean;
  verbose?: boolean;
}

function fmt(x: number): string {
  return x.toExponential(2);
}

function describe(report: ExportReport, verify: VerifyReport | null, out: string): string {
  const lines = [
    `exported ${report.method} model: opset ${report.opset}, IR ${report.irVersion}, ${report.nodes} nodes, ` +
      `${report.parameters} weights, ${(report.bytes / 1e6).toFixed(2)} MB`,
    `  inputs: ${report.inputs.join(', ')}; outputs: ${report.outputs.join(', ')}`,
  ];
  if (report.spectral)
    lines.push(`  spectral norm of the stored kernels (baked divisor in parentheses): ` +
      report.spectral.map((s) => `${s.sigma.toPrecision(6)}${s.scale > 1 ? ` (/${s.scale.toPrecision(8)})` : ''}`).join(', '));
  const post = report.posterior;
  if (post) {
    lines.push(`  posterior: M = ${post.numRandomFeatures}, ridge ${post.ridge}, precision checked (symmetric, eigenvalues >= ridge)`);
    const asked = post.requested === 'full' ? '--posterior full' : `--posterior ${post.requested}, variance tolerance ${post.tolerance}`;
    if (post.kind === 'full') lines.push(`  posterior form: full (M x M covariance; ${asked})`);
    else {
      lines.push(`  posterior form: low-rank, rank ${post.rank} of ${post.numRandomFeatures} (${asked})`);
      lines.push(`  variance error vs the full posterior: proven max ${fmt(post.relativeErrorBound)} relative, ${fmt(post.absoluteErrorBound)} absolute; ` +
        `measured max ${fmt(post.measuredRelativeError)} relative, ${fmt(post.measuredAbsoluteError)} absolute over ${post.measuredOver}`);
    }
  }
  if (verify) {
    lines.push(`verification with onnxruntime-node over ${verify.points}${verify.samples ? `, ${verify.samples} samples` : ''}:`);
    lines.push(`  max |logits diff| ${fmt(verify.maxLogitsDiff)} (tolerance ${verify.tolerances.logits})`);
    if (verify.maxVarianceRelDiff !== undefined)
      lines.push(`  max variance relative diff vs the full posterior ${fmt(verify.maxVarianceRelDiff)} (tolerance ${verify.tolerances.varianceRel.toPrecision(3)})`);
    if (verify.maxProbsDiff !== undefined) lines.push(`  max |probs diff| ${fmt(verify.maxProbsDiff)} (tolerance ${verify.tolerances.probs})`);
    lines.push(`  ${verify.passed ? 'PASSED' : 'FAILED'}`);
  } else lines.push('verification skipped (--no-verify)');
  if (!verify || verify.passed) lines.push(`wrote ${out}`);
  return lines.join('\n');
}

async function run(dir: string, opts: CliOptions): Promise<void> {
  // Before any work: --out must be free, empty or a model of ours, not the checkpoint, and writable.
  const force = opts.force === true;
  if (!(POSTERIOR_CHOICES as readonly string[]).includes(opts.posterior))
    throw new SngpError(`--posterior: expected one of ${POSTERIOR_CHOICES.join(', ')}, got "${opts.posterior}"`);
  const varianceTolerance = Number(opts.varianceTolerance);
  if (opts.varianceTolerance.trim() === '' || !Number.isFinite(varianceTolerance) || varianceTolerance < 0)
    throw new SngpError(`--variance-tolerance: expected a number >= 0 (a relative variance error, e.g. ${DEFAULT_VARIANCE_TOLERANCE}), got "${opts.varianceTolerance}"`);
  if (!(RANDOM_FEATURE_OPS as readonly string[]).includes(opts.randomFeatures))
    throw new SngpError(`--random-features: expected one of ${RANDOM_FEATURE_OPS.join(', ')}, got "${opts.randomFeatures}"`);
  if (!(COVERAGES as readonly string[]).includes(opts.verifyPoints))
    throw new SngpError(`--verify-points: expected one of ${COVERAGES.join(', ')}, got "${opts.verifyPoints}"`);
  if (opts.out === undefined && opts.triton === undefined) throw new SngpError('give --out <file>, --triton <dir>, or both');
  const tritonName = opts.name ?? basename(resolve(dir)).replace(/[^A-Za-z0-9_-]/g, '_');
  const tritonMaxBatch = Number(opts.tritonMaxBatch);
  if (!Number.isInteger(tritonMaxBatch) || tritonMaxBatch < 1) throw new SngpError(`--triton-max-batch: expected a positive integer, got "${opts.tritonMaxBatch}"`);
  if (opts.out !== undefined) checkOutputPath(opts.out, ONNX_MODEL_OUTPUT, { force, inputs: [dir] });
  if (opts.triton !== undefined) checkOutputPath(join(opts.triton, tritonName), TRITON_MODEL_OUTPUT, { force, inputs: [dir], flag: '--triton' });
  const ckpt = readCheckpoint(dir);
  if (opts.as !== undefined && opts.as !== 'mc-dropout') throw new SngpError(`--as: expected "mc-dropout", got "${opts.as}"`);
  const mcSamples = opts.mcSamples === undefined ? undefined : Number(opts.mcSamples);
  const coverage: VerificationCoverage =
    opts.verifyPoints === 'auto' ? defaultCoverage(opts.as === 'mc-dropout' ? 'mc-dropout' : ckpt.config.method) : (opts.verifyPoints as VerificationCoverage);
  const { bytes, baked, report, verificationReference } = exportModel(ckpt, {
    coverage,
    // Triton / KServe clients get calibrated probabilities from the graph itself.
    meanFieldProbs: opts.meanFieldProbs || (opts.triton !== undefined && ckpt.config.method === 'sngp' && opts.as === undefined),
    as: opts.as,
    mcSamples,
    posterior: opts.posterior as PosteriorChoice,
    varianceTolerance,
    randomFeatures: opts.randomFeatures as RandomFeatureOp,
  });
  for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
  // Export's float64 reference (SNGP low-rank) is over the same points: verification reuses it.
  const verify = opts.verify ? await verifyModel(bytes, baked, { coverage, reference: verificationReference }) : null;
  // Only a verified model is written, atomically, so a failure never clobbers an existing file.
  if (!verify || verify.passed) {
    if (opts.out !== undefined) writeFileAtomic(opts.out, bytes, { kind: ONNX_MODEL_OUTPUT, force });
    if (opts.triton !== undefined) {
      const t = writeTritonModel(opts.triton, bytes, { name: tritonName, maxBatchSize: tritonMaxBatch, force });
      process.stderr.write(`Triton model ${join(opts.triton, tritonName)}: max_batch_size ${t.maxBatchSize}${t.maxBatchSize === 0 ? ' (an input or output has no leading batch dimension: no batching on Triton)' : ''}; KServe manifest ${join(opts.triton, tritonName, 'inferenceservice.yaml')}\n`);
    }
  }
  if (opts.json) process.stdout.write(JSON.stringify({ out: opts.out, triton: opts.triton, written: !verify || verify.passed, export: report, verification: verify }, null, 2) + '\n');
  else process.stdout.write(describe(report, verify, opts.out ?? join(opts.triton as string, tritonName, "1", "model.onnx")) + '\n');
  if (verify && !verify.passed) throw new SngpError(`verification failed, nothing written: ${verify.failures.join('; ')}`);
}

const program = new Command()
  .name('sngp-export')
  .description('Export an SNGP toolkit checkpoint to ONNX (opset 17) and verify it against a float64 reference.')
  .argument('<checkpoint-dir>', 'checkpoint directory (checkpoint.json + weights.safetensors)')
  .option('-o, --out <file>', 'output .onnx file (atomically; an existing file is replaced only if it is a model of ours, see --force)')
  .option('--triton <dir>', 'also (or instead) write a Triton model folder <dir>/<name>/ (config.pbtxt, labels.txt, 1/model.onnx, sngp-card.json, KServe inferenceservice.yaml); SNGP gets graph-side mean-field probs')
  .option('--name <name>', 'Triton model name (default: the checkpoint folder name)')
  .option('--triton-max-batch <n>', 'Triton max_batch_size where the graph allows batching', '1024')
  .option('--no-verify', 'skip running the model with onnxruntime-node against the float64 reference')
  .option('--verify-points <coverage>', `points verified: ${COVERAGES.join(' | ')} (auto: every grid/test/OOD point for deterministic and SNGP, a representative ~800-point sample for MC dropout and ensembles; SNGP low-rank: also where the truncation error is measured)`, 'auto')
  .option('--mean-field-probs', 'SNGP: also output mean-field probs [N, K] (for generic ONNX servers)', false)
  .option('--as <method>', 'mc-dropout: export a deterministic checkpoint as MC dropout (the same network, dropout on at inference)')
  .option('--mc-samples <n>', 'MC dropout: samples T of the exported model (default: the checkpoint\'s)')
  .option('--posterior <form>', `SNGP: posterior in the graph: ${POSTERIOR_CHOICES.join(' | ')} (default auto: low-rank with the smallest rank meeting --variance-tolerance, full if that rank is over M/2)`, 'auto')
  .option('--variance-tolerance <rel>', 'SNGP: largest relative variance error vs the full posterior that the low-rank posterior may have, proven for every input', String(DEFAULT_VARIANCE_TOLERANCE))
  .option('--random-features <op>', `SNGP: how the graph computes cos(): ${RANDOM_FEATURE_OPS.join(' | ')} (polynomial: faster on wasm, slower on the native CPU provider)`, 'cos')
  .option('--json', 'print the export and verification report as JSON', false)
  .option('--force', CLI_FORCE_HELP)
  .option('--verbose', CLI_VERBOSE_HELP)
  // Errors go through runCli: commander throws instead of exiting and prints nothing itself.
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .action(async (dir: string, opts: CliOptions) => run(dir, opts));

void runCli('sngp-export', async (argv) => {
  await program.parseAsync(argv);
});
