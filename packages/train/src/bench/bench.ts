#!/usr/bin/env node
/**
 * Training benchmark: every method with the default model on two moons, side by side in one
 * process. Methods are interleaved over several rounds and the median is reported, so a busy
 * (shared) machine skews all methods alike. ms/step excludes each run's first epoch (warm-up).
 * Usage: node dist/bench.js [epochs=3] [rounds=3]
 */
import { cpus, loadavg } from 'node:os';
import { METHODS, type Method } from '@sngp/core';
import { trainModel } from '../train-model.js';

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function intArg(i: number, fallback: number, min: number): number {
  const v = Number(process.argv[i] ?? fallback);
  if (!Number.isInteger(v) || v < min) throw new Error(`argument ${i - 1} must be an integer >= ${min}, got ${process.argv[i]}`);
  return v;
}

async function main(): Promise<void> {
  const epochs = intArg(2, 3, 2);
  const rounds = intArg(3, 3, 1);
  const ms: Record<Method, number[]> = { deterministic: [], sngp: [], 'mc-dropout': [], ensemble: [] };
  let backend = '';
  let stepsPerEpoch = 0;
  for (let r = 0; r < rounds; r++)
    for (const method of METHODS) {
      const { summary } = await trainModel({ method, epochs });
      backend = summary.backend;
      stepsPerEpoch = summary.steps / epochs;
      ms[method].push(summary.msPerStep);
    }
  const c = cpus();
  console.log(`machine: ${c.length} x ${c[0]?.model ?? 'unknown cpu'}, node ${process.versions.node}, ${process.platform}/${process.arch}, load avg ${loadavg()[0].toFixed(2)}`);
  console.log(
    `backend: ${backend}; two moons (1000 rows), batch 128 (${stepsPerEpoch} steps/epoch), width 128, depth 6; ` +
      `${epochs} epochs x ${rounds} interleaved rounds per method, median`,
  );
  console.log('method          ms/step   epochs/s   (min..max ms/step)');
  for (const m of METHODS) {
    const med = median(ms[m]);
    const range = `${Math.min(...ms[m]).toFixed(1)}..${Math.max(...ms[m]).toFixed(1)}`;
    console.log(`${m.padEnd(14)} ${med.toFixed(2).padStart(8)} ${(1000 / (med * stepsPerEpoch)).toFixed(2).padStart(10)}   (${range})`);
  }
  const ratio = median(ms.sngp) / median(ms.deterministic);
  console.log(`SNGP / deterministic step time: ${ratio.toFixed(2)}x (Keras tutorial reference: ~5 / ~3 ms = ~1.7x)`);
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
