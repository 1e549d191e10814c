/** sngp-export --triton: the Triton model folder checked field by field against its ONNX graph (read by onnxruntime). */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METHODS, decodeModelCard, readOnnxHeader, type Method } from '@sngp/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EXPORT_CLI, runCli, tempDir, writeRandomCheckpoint } from './fixtures.js';

interface Block {
  name: string;
  data_type: string;
  dims: number[];
  label_filename?: string;
  reshape?: number[];
}

/** A small reader of the config.pbtxt fields we check (independent of the writer). */
function parseConfig(text: string): { name: string; platform: string; maxBatchSize: number; inputs: Block[]; outputs: Block[]; dynamicBatching: boolean; instanceGroup: boolean } {
  const field = (re: RegExp): string => (text.match(re) ?? [])[1];
  const blocks = (kind: string): Block[] => {
    const body = field(new RegExp(`^${kind} \\[\\n([\\s\\S]*?)\\n\\]`, 'm'));
    return [...body.matchAll(/^  \{([\s\S]*?)^  \}/gm)].map((m) => {
      const b = m[1];
      const label = b.match(/label_filename: "([^"]+)"/)?.[1];
      const reshape = b.match(/reshape: \{ shape: \[([^\]]*)\] \}/)?.[1];
      return {
        name: b.match(/name: "([^"]+)"/)![1],
        data_type: b.match(/data_type: (\w+)/)![1],
        dims: b.match(/dims: \[([^\]]*)\]/)![1].split(',').map((s) => Number(s.trim())),
        ...(label ? { label_filename: label } : {}),
        ...(reshape !== undefined ? { reshape: reshape.trim() ? reshape.split(',').map(Number) : [] } : {}),
      };
    });
  };
  return {
    name: field(/^name: "([^"]+)"/m),
    platform: field(/^platform: "([^"]+)"/m),
    maxBatchSize: Number(field(/^max_batch_size: (\d+)/m)),
    inputs: blocks('input'),
    outputs: blocks('output'),
    dynamicBatching: /^dynamic_batching \{/m.test(text),
    instanceGroup: /^instance_group \[/m.test(text),
  };
}

const ORT_TYPES: Record<string, string> = { float32: 'TYPE_FP32', float64: 'TYPE_FP64', int32: 'TYPE_INT32', int64: 'TYPE_INT64', bool: 'TYPE_BOOL' };

async function exportTriton(method: Method, repo: string): Promise<void> {
  const ckpt = method === 'mc-dropout' ? writeRandomCheckpoint('deterministic') : writeRandomCheckpoint(method);
  const r = runCli(EXPORT_CLI, [ckpt, '--triton', repo, '--name', method.replace('-', '_'), '--no-verify', ...(method === 'mc-dropout' ? ['--as', 'mc-dropout'] : [])]);
  expect(r.stderr).toContain('Triton model');
  expect(r.status).toBe(0);
}

describe('sngp-export --triton', () => {
  const repo = join(tempDir(), 'repository');
  for (const method of METHODS)
    it(`${method}: config.pbtxt, labels, card and manifest match the graph`, async () => {
      await exportTriton(method, repo);
      const name = method.replace('-', '_');
      const dir = join(repo, name);
      const cfg = parseConfig(readFileSync(join(dir, 'config.pbtxt'), 'utf8'));
      const onnx = new Uint8Array(readFileSync(join(dir, '1', 'model.onnx')));
      const card = decodeModelCard(readOnnxHeader(onnx, 'model').metadata);
      expect(cfg).toMatchObject({ name, platform: 'onnxruntime_onnx', instanceGroup: true });
      // Batching only where every input and output leads with the batch dimension.
      const batched = method === 'deterministic' || method === 'sngp';
      expect(cfg.maxBatchSize).toBe(batched ? 1024 : 0);
      expect(cfg.dynamicBatching).toBe(batched);
      const session = await ort.InferenceSession.create(onnx);
      try {
        for (const [blocks, metas] of [[cfg.inputs, session.inputMetadata], [cfg.outputs, session.outputMetadata]] as const) {
          expect(blocks.map((b) => b.name)).toEqual(metas.map((m) => m.name));
          blocks.forEach((b, i) => {
            const m = metas[i];
            if (!m.isTensor) throw new Error(`${m.name} is not a tensor`);
            expect(b.data_type, b.name).toBe(ORT_TYPES[m.type]);
            const dims = m.shape.map((d) => (typeof d === 'number' ? d : -1));
            if (batched) {
              expect(dims[0], `${b.name} batch dim`).toBe(-1);
              // A per-row scalar [N]: dims [1] reshaped to [] (Triton needs a dim).
              if (dims.length === 1) expect(b, b.name).toMatchObject({ dims: [1], reshape: [] });
              else expect(b.dims, b.name).toEqual(dims.slice(1));
            } else expect(b.dims, b.name).toEqual(dims);
            const perClass = dims.length === 2 && dims[1] === card.classes.length && b.name !== 'dropout_noise';
            expect(b.label_filename, b.name).toBe(perClass ? 'labels.txt' : undefined);
          });
        }
        // SNGP: the graph's mean-field probs, so a generic client gets calibrated probabilities.
        if (method === 'sngp') {
          expect(session.outputNames).toContain('probs');
          expect(card.graphProbs).toBe(true);
        }
        if (method === 'mc-dropout') expect(cfg.inputs.find((b) => b.name === 'dropout_noise')!.dims).toEqual([-1, ...card.dropoutNoiseShape!]);
      } finally {
        await session.release();
      }
      expect(readFileSync(join(dir, 'labels.txt'), 'utf8').trim().split('\n')).toEqual(card.classes);
      expect(decodeModelCard(JSON.parse(readFileSync(join(dir, 'sngp-card.json'), 'utf8')))).toEqual(card);
      const yaml = readFileSync(join(dir, 'inferenceservice.yaml'), 'utf8');
      for (const line of ['kind: InferenceService', 'protocolVersion: v2', 'runtime: kserve-tritonserver', 'name: onnx', 'storageUri:'])
        expect(yaml).toContain(line);
    });

  it('replaces its own folder, refuses one that is not ours', async () => {
    await exportTriton('deterministic', repo);
    await exportTriton('deterministic', repo); // ours: replaced
    const foreign = join(repo, 'deterministic');
    writeFileSync(join(foreign, 'config.pbtxt'), 'name: "someone else"\n');
    const ckpt = writeRandomCheckpoint('deterministic');
    const r = runCli(EXPORT_CLI, [ckpt, '--triton', repo, '--name', 'deterministic', '--no-verify']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/not written by sngp-export/);
    expect(readFileSync(join(foreign, 'config.pbtxt'), 'utf8')).toBe('name: "someone else"\n');
    mkdirSync(join(repo, 'other'));
    writeFileSync(join(repo, 'other', 'notes.txt'), 'keep');
    expect(runCli(EXPORT_CLI, [ckpt, '--triton', repo, '--name', 'other', '--no-verify']).status).not.toBe(0);
    expect(existsSync(join(repo, 'other', 'notes.txt'))).toBe(true);
  });
});
