#!/usr/bin/env node
/** `sngp-serve`: serve exported models over the Open Inference Protocol until SIGTERM / SIGINT. */
import { CLI_VERBOSE_HELP, SngpError, runCli } from '@sngp/core/node';
import { DEVICES, type Device } from '@sngp/runtime';
import { Command } from 'commander';
import { createServer } from './server.js';

interface CliOptions {
  port: string;
  host: string;
  device: string;
  threads?: string;
  maxBatchRows: string;
  concurrentBatches: string;
  maxDelayMs: string;
  maxQueueRows: string;
  timeoutMs: string;
  maxRows: string;
  maxBody: string;
  drainDelayMs: string;
  batching: boolean;
  log: string;
  verbose?: boolean;
}

function num(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new SngpError(`${flag}: expected a number >= 0, got "${v}"`);
  return n;
}

function wholePositive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SngpError(`${flag}: expected a whole number >= 1, got "${v}"`);
  return n;
}

async function run(paths: string[], o: CliOptions): Promise<void> {
  if (!DEVICES.includes(o.device as Device)) throw new SngpError(`--device: expected one of ${DEVICES.join(', ')}, got "${o.device}"`);
  if (o.log !== 'json' && o.log !== 'none') throw new SngpError(`--log: expected json or none, got "${o.log}"`);
  const server = await createServer({
    models: paths,
    device: o.device as Device,
    threads: o.threads === undefined ? undefined : wholePositive(o.threads, '--threads'),
    batch: {
      maxBatchRows: o.batching ? num(o.maxBatchRows, '--max-batch-rows') : 0,
      maxDelayMs: num(o.maxDelayMs, '--max-delay-ms'),
      maxQueueRows: num(o.maxQueueRows, '--max-queue-rows'),
      timeoutMs: num(o.timeoutMs, '--timeout-ms'),
      concurrentBatches: wholePositive(o.concurrentBatches, '--concurrent-batches'),
    },
    maxRowsPerRequest: num(o.maxRows, '--max-rows'),
    bodyLimit: num(o.maxBody, '--max-body'),
    log: o.log === 'json' ? (line) => void process.stdout.write(line + '\n') : undefined,
  });
  const url = await server.listen(num(o.port, '--port'), o.host);
  const names = server.models.map((m) => `${m.name}/${m.version} (${m.method})`).join(', ');
  process.stderr.write(`sngp-serve: ${url} serving ${names}\n`);
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    process.stderr.write(`sngp-serve: ${signal}: readiness false, draining\n`);
    void server.close(num(o.drainDelayMs, '--drain-delay-ms')).then(() => {
      process.stderr.write(`sngp-serve: drained: accepted ${server.stats.accepted}, answered ${server.stats.answered}\n`);
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const program = new Command()
  .name('sngp-serve')
  .description('Serve exported SNGP toolkit models over the Open Inference Protocol (KServe V2 REST).')
  .argument('<paths...>', '.onnx files and directories (of .onnx files or Triton folders <name>/<version>/model.onnx)')
  .option('-p, --port <n>', 'TCP port (0: any free port)', '8000')
  .option('--host <addr>', 'address to listen on', '127.0.0.1')
  .option('--device <d>', `execution device: ${DEVICES.join(' | ')}`, 'cpu')
  .option('--threads <n>', "onnxruntime's intra-op threads per model (default: onnxruntime's, one per core; 1 suits many small requests)")
  .option('--max-batch-rows <n>', 'dynamic batching: most rows per predict run', '1024')
  .option('--max-delay-ms <ms>', 'dynamic batching: longest wait for other requests (0: those parsed in the same event-loop turn)', '0')
  .option('--concurrent-batches <n>', 'dynamic batching: batches of one model running at the same time (with --threads 1, up to the cores)', '1')
  .option('--no-batching', 'run every request on its own')
  .option('--max-queue-rows <n>', 'rows allowed to wait; more: 503 with Retry-After', '65536')
  .option('--timeout-ms <ms>', 'a request waiting longer gets 503 with Retry-After', '30000')
  .option('--max-rows <n>', 'most rows per request (more: 413)', '65536')
  .option('--max-body <bytes>', 'largest request body (more: 413)', String(16 * 2 ** 20))
  .option('--drain-delay-ms <ms>', 'on SIGTERM: time between readiness false and closing the listener', '0')
  .option('--log <format>', 'one line per request: json | none', 'none')
  .option('--verbose', CLI_VERBOSE_HELP)
  .exitOverride()
  .configureOutput({ outputError: () => {} })
  .action(async (paths: string[], opts: CliOptions) => run(paths, opts));

void runCli('sngp-serve', async (argv) => {
  await program.parseAsync(argv);
});
