/** Open Inference Protocol (KServe V2 REST) conformance, written from the spec, over real HTTP. */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHODS, twoMoons } from '@sngp/core';
import { loadModel } from '@sngp/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featuresBody, get, modelPath, post, startServer } from './fixtures.js';
import type { SngpServer } from '../src/index.js';

let server: SngpServer;
let url: string;
let repo: string;

beforeAll(async () => {
  // The four models as files, plus a Triton-style folder with two versions of one model.
  repo = mkdtempSync(join(tmpdir(), 'sngp-serve-repo-'));
  for (const m of METHODS) cpSync(modelPath(m), join(repo, `${m}.onnx`));
  for (const v of ['1', '2']) {
    mkdirSync(join(repo, 'moons', v), { recursive: true });
    cpSync(modelPath(v === '1' ? 'deterministic' : 'sngp'), join(repo, 'moons', v, 'model.onnx'));
  }
  ({ server, url } = await startServer({ models: [repo], maxRowsPerRequest: 5000, bodyLimit: 200_000 }));
});
afterAll(async () => {
  await server?.close();
  rmSync(repo, { recursive: true, force: true });
});

const rows = (): number[][] => {
  const { test } = twoMoons(0);
  return Array.from({ length: 20 }, (_, i) => [test.x[2 * i], test.x[2 * i + 1]]);
};

describe('health and server metadata', () => {
  it('live, ready, server metadata', async () => {
    expect(await get(`${url}/v2/health/live`)).toEqual({ status: 200, body: { live: true } });
    expect(await get(`${url}/v2/health/ready`)).toEqual({ status: 200, body: { ready: true } });
    const meta = await get(`${url}/v2`);
    expect(meta.status).toBe(200);
    expect(meta.body).toMatchObject({ name: 'sngp-serve', extensions: ['classification'] });
    expect(typeof meta.body.version).toBe('string');
  });

  it('unknown endpoint: 404 with an error object', async () => {
    const r = await get(`${url}/v2/nothing`);
    expect(r.status).toBe(404);
    expect(r.body.error).toMatch(/no endpoint GET \/v2\/nothing/);
  });
});

describe('model metadata and readiness', () => {
  it('every model: name, versions, platform, inputs, outputs, the card', async () => {
    for (const m of METHODS) {
      const r = await get(`${url}/v2/models/${m}`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ name: m, versions: ['1'], platform: 'onnxruntime_onnx' });
      expect(r.body.inputs[0]).toEqual({ name: 'features', datatype: 'FP32', shape: [-1, 2] });
      expect(r.body.parameters.sngp_card['sngp.method']).toBe(m);
      const names = r.body.outputs.map((o: { name: string }) => o.name);
      expect(names).toEqual(expect.arrayContaining(['probs', 'predicted', 'confidence', 'uncertainty', 'scores_logNonMax', 'scores_entropy']));
      if (m === 'sngp') expect(names).toEqual(expect.arrayContaining(['variance', 'logits', 'scores_variance']));
      if (m === 'mc-dropout') expect(r.body.inputs[1]).toEqual({ name: 'dropout_noise', datatype: 'FP32', shape: [-1, 6, 128] });
      if (m === 'ensemble') expect(r.body.outputs.find((o: { name: string }) => o.name === 'logits').shape).toEqual([10, -1, 2]);
      expect(await get(`${url}/v2/models/${m}/ready`)).toEqual({ status: 200, body: { name: m, ready: true } });
    }
  });

  it('versions: listed, addressed, the latest by default', async () => {
    const r = await get(`${url}/v2/models/moons`);
    expect(r.body.versions).toEqual(['1', '2']);
    expect(r.body.parameters.sngp_card['sngp.method']).toBe('sngp');
    expect((await get(`${url}/v2/models/moons/versions/1`)).body.parameters.sngp_card['sngp.method']).toBe('deterministic');
    expect((await get(`${url}/v2/models/moons/versions/2/ready`)).status).toBe(200);
    const v1 = await post(`${url}/v2/models/moons/versions/1/infer`, featuresBody([[0, 0]]));
    expect(v1.body).toMatchObject({ model_name: 'moons', model_version: '1' });
    expect(v1.body.outputs.some((o: { name: string }) => o.name === 'variance')).toBe(false);
    const v2 = await post(`${url}/v2/models/moons/infer`, featuresBody([[0, 0]]));
    expect(v2.body.model_version).toBe('2');
    expect(v2.body.outputs.some((o: { name: string }) => o.name === 'variance')).toBe(true);
  });

  it('unknown model or version: 404 naming what is served', async () => {
    const a = await get(`${url}/v2/models/nope`);
    expect(a.status).toBe(404);
    expect(a.body.error).toMatch(/model "nope" is not served \(models: .*deterministic/);
    const b = await get(`${url}/v2/models/moons/versions/3`);
    expect(b.status).toBe(404);
    expect(b.body.error).toMatch(/no version "3" \(versions: 1, 2\)/);
    expect((await post(`${url}/v2/models/nope/infer`, featuresBody([[0, 0]]))).status).toBe(404);
    expect((await get(`${url}/v2/models/nope/ready`)).status).toBe(404);
  });
});

describe('infer', () => {
  it('single and batched rows equal in-process predict, every method, flat and nested data', async () => {
    const x = rows();
    for (const m of METHODS) {
      const local = await loadModel(modelPath(m));
      const p = await local.predict(x);
      await local.dispose();
      const flat = await post(`${url}/v2/models/${m}/infer`, featuresBody(x, { id: 'r1' }));
      expect(flat.status).toBe(200);
      expect(flat.body).toMatchObject({ model_name: m, model_version: '1', id: 'r1' });
      const out = Object.fromEntries(flat.body.outputs.map((o: { name: string }) => [o.name, o]));
      expect(out.probs).toMatchObject({ datatype: 'FP32', shape: [20, 2] });
      expect(Float32Array.from(out.probs.data)).toEqual(p.probs);
      expect(out.predicted).toEqual({ name: 'predicted', datatype: 'INT32', shape: [20], data: Array.from(p.predicted) });
      expect(out.scores_logNonMax.datatype).toBe('FP64');
      expect(out.scores_logNonMax.data).toEqual(Array.from(p.scores.logNonMax));
      if (m === 'sngp') expect(Float32Array.from(out.variance.data)).toEqual(p.variance);
      const nested = await post(`${url}/v2/models/${m}/infer`, { inputs: [{ name: 'features', shape: [20, 2], datatype: 'FP32', data: x }] });
      expect(nested.body.outputs).toEqual(flat.body.outputs);
      const one = await post(`${url}/v2/models/${m}/infer`, featuresBody([x[3]]));
      // onnxruntime's kernels for 1 and 20 rows may round differently (float32 ulps).
      one.body.outputs[0].data.forEach((v: number, j: number) => expect(v).toBeCloseTo(out.probs.data[6 + j], 6));
    }
  });

  it('outputs filter, order kept, and the classification extension', async () => {
    const r = await post(`${url}/v2/models/sngp/infer`, featuresBody([[0.5, 0.25], [2.5, -1.75]], { outputs: [{ name: 'variance' }, { name: 'probs', parameters: { classification: 1 } }] }));
    expect(r.status).toBe(200);
    expect(r.body.outputs.map((o: { name: string }) => o.name)).toEqual(['variance', 'probs']);
    const cls = r.body.outputs[1];
    expect(cls).toMatchObject({ datatype: 'BYTES', shape: [2, 1] });
    const full = await post(`${url}/v2/models/sngp/infer`, featuresBody([[0.5, 0.25], [2.5, -1.75]], { outputs: [{ name: 'probs' }] }));
    cls.data.forEach((s: string, i: number) => {
      const [score, index, label] = s.split(':');
      const pr = full.body.outputs[0].data.slice(2 * i, 2 * i + 2);
      expect(Number(index)).toBe(pr[0] >= pr[1] ? 0 : 1);
      expect(Number(score)).toBe(Math.max(...pr));
      expect(label).toBe(String(Number(index)));
    });
    const bad = await post(`${url}/v2/models/sngp/infer`, featuresBody([[0, 0]], { outputs: [{ name: 'variance', parameters: { classification: 1 } }] }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/outputs "variance".parameters.classification: .*\[1\]/);
    const over = await post(`${url}/v2/models/sngp/infer`, featuresBody([[0, 0]], { outputs: [{ name: 'probs', parameters: { classification: 3 } }] }));
    expect(over.status).toBe(400);
    expect(over.body.error).toMatch(/3 is more than the 2 classes/);
  });

  it('raw graph outputs: MC dropout noise fed by the client, ensemble per-member logits', async () => {
    const local = await loadModel(modelPath('mc-dropout'));
    const { dropoutNoise } = await import('@sngp/core');
    const noise = dropoutNoise(10, [6, 128], 7);
    const feeds = { features: { data: new Float32Array([0.5, 0.25]), dims: [1, 2] }, dropout_noise: noise };
    const want = await local.runGraph(feeds, ['probs']);
    await local.dispose();
    const r = await post(`${url}/v2/models/mc-dropout/infer`, {
      inputs: [featuresBody([[0.5, 0.25]]).inputs as object[]][0].concat([{ name: 'dropout_noise', shape: noise.dims, datatype: 'FP32', data: Array.from(noise.data) }]),
      outputs: [{ name: 'probs' }],
    });
    expect(r.status).toBe(200);
    expect(Float32Array.from(r.body.outputs[0].data)).toEqual(want.probs.data);
    const noGraph = await post(`${url}/v2/models/mc-dropout/infer`, {
      inputs: [featuresBody([[0.5, 0.25]]).inputs as object[]][0].concat([{ name: 'dropout_noise', shape: noise.dims, datatype: 'FP32', data: Array.from(noise.data) }]),
      outputs: [{ name: 'predicted' }],
    });
    expect(noGraph.status).toBe(400);
    expect(noGraph.body.error).toMatch(/"predicted" is computed by predict, not by the graph/);
    const e = await post(`${url}/v2/models/ensemble/infer`, featuresBody([[0, 0], [1, 1]], { outputs: [{ name: 'logits' }] }));
    expect(e.body.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [10, 2, 2] });
  });

  it('several models at once: concurrent requests each get their own model', async () => {
    const x = rows().slice(0, 5);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post(`${url}/v2/models/${METHODS[i % 4]}/infer`, featuresBody(x, { id: String(i), outputs: [{ name: 'probs' }] }))),
    );
    for (const [i, a] of answers.entries()) {
      expect(a.status).toBe(200);
      expect(a.body).toMatchObject({ model_name: METHODS[i % 4], id: String(i) });
      expect(a.body.outputs[0].data).toEqual(answers[i % 4].body.outputs[0].data);
    }
    // The four methods really differ
    expect(answers[0].body.outputs[0].data).not.toEqual(answers[1].body.outputs[0].data);
  });
});

describe('errors: status code and a message naming the field', () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['no inputs', { inputs: [] }, 400, /^inputs: /],
    ['inputs not an array', { inputs: 3 }, 400, /^inputs: /],
    ['shape not integers', { inputs: [{ name: 'features', shape: [1, 2.5], datatype: 'FP32', data: [1, 2] }] }, 400, /^inputs\[0\]\.shape\[1\]: /],
    ['negative shape', { inputs: [{ name: 'features', shape: [-1, 2], datatype: 'FP32', data: [1, 2] }] }, 400, /^inputs\[0\]\.shape\[0\]: /],
    ['wrong width', { inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, 400, /^inputs\[0\]\.shape\[1\]: expected 2, got 3/],
    ['wrong rank', { inputs: [{ name: 'features', shape: [2], datatype: 'FP32', data: [1, 2] }] }, 400, /^inputs\[0\]\.shape: expected 2 dimensions \[N,2\]/],
    ['zero rows', { inputs: [{ name: 'features', shape: [0, 2], datatype: 'FP32', data: [] }] }, 400, /^inputs\[0\]\.shape\[0\]: expected at least 1/],
    ['bad datatype', { inputs: [{ name: 'features', shape: [1, 2], datatype: 'INT8', data: [1, 2] }] }, 400, /^inputs\[0\]\.datatype: expected FP32, got "INT8"/],
    ['too few values', { inputs: [{ name: 'features', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3] }] }, 400, /^inputs\[0\]\.data: 3 values, but shape \[2,2\] needs 4/],
    ['too many values', { inputs: [{ name: 'features', shape: [1, 2], datatype: 'FP32', data: [1, 2, 3] }] }, 400, /^inputs\[0\]\.data: more than the 2 values/],
    ['a string value', { inputs: [{ name: 'features', shape: [1, 2], datatype: 'FP32', data: [1, 'a'] }] }, 400, /^inputs\[0\]\.data\[1\]: expected a number, got string/],
    ['null value', { inputs: [{ name: 'features', shape: [1, 2], datatype: 'FP32', data: [null, 1] }] }, 400, /^inputs\[0\]\.data\[0\]: expected a number, got null/],
    ['outside float32', { inputs: [{ name: 'features', shape: [1, 2], datatype: 'FP32', data: [1e39, 1] }] }, 400, /^inputs\[0\]\.data\[0\]: 1e\+39 is not a finite float32/],
    ['nested too deep', { inputs: [{ name: 'features', shape: [1, 2], datatype: 'FP32', data: [[[1, 2]]] }] }, 400, /^inputs\[0\]\.data: nested deeper than its shape/],
    ['data not an array', { inputs: [{ name: 'features', shape: [1, 2], datatype: 'FP32', data: 'x' }] }, 400, /^inputs\[0\]\.data: expected an array, got string/],
    ['unknown input', { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] }, 400, /^inputs\[0\]\.name: unknown input "x" \(inputs: features\)/],
    ['input twice', { inputs: [0, 1].map(() => ({ name: 'features', shape: [1, 2], datatype: 'FP32', data: [1, 2] })) }, 400, /^inputs\[1\]\.name: input "features" given twice/],
    ['unknown output', { ...featuresBody([[0, 0]]), outputs: [{ name: 'nope' }] }, 400, /^outputs\[0\]\.name: unknown output "nope" \(outputs: probs, /],
    ['bad classification', { ...featuresBody([[0, 0]]), outputs: [{ name: 'probs', parameters: { classification: 0 } }] }, 400, /^outputs\[0\]\.parameters\.classification: /],
    ['rows over the limit', { inputs: [{ name: 'features', shape: [6000, 2], datatype: 'FP32', data: [] }] }, 413, /^inputs\[0\]\.shape\[0\]: 6000 rows, over this server's limit of 5000/],
    ['huge shape', { inputs: [{ name: 'features', shape: [1e15, 2], datatype: 'FP32', data: [] }] }, 413, /over this server's limit/],
  ];
  for (const [what, body, status, message] of cases)
    it(what, async () => {
      const r = await post(`${url}/v2/models/deterministic/infer`, body);
      expect(r.status).toBe(status);
      expect(r.body.error).toMatch(message);
    });

  it('malformed JSON: 400; wrong content type (not JSON or text): 415; body over the limit: 413', async () => {
    const a = await post(`${url}/v2/models/sngp/infer`, '{"inputs": [', true);
    expect(a.status).toBe(400);
    expect(a.body.error).toMatch(/^body: not valid JSON \(/);
    const b = await fetch(`${url}/v2/models/sngp/infer`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<x/>' });
    expect(b.status).toBe(415);
    expect((await b.json()).error).toMatch(/content-type/i);
    const big = featuresBody(Array.from({ length: 12000 }, () => [0.123456789, 0.987654321]));
    const c = await post(`${url}/v2/models/sngp/infer`, big);
    expect(c.status).toBe(413);
    expect(c.body.error).toMatch(/body/i);
  });

  it('a queue over its limit and a request that waits too long: 503 with Retry-After', async () => {
    const { server: s, url: u } = await startServer({ models: [modelPath('sngp')], batch: { maxQueueRows: 10, maxDelayMs: 50, timeoutMs: 20 } });
    try {
      // Timeout: the batch waits 50 ms, the request only 20.
      const late = await post(`${u}/v2/models/sngp/infer`, featuresBody([[0, 0]]));
      expect(late.status).toBe(503);
      expect(late.headers.get('retry-after')).toBe('1');
      expect(late.body.error).toMatch(/waited 20 ms in the queue/);
    } finally {
      await s.close();
    }
    const { server: s2, url: u2 } = await startServer({ models: [modelPath('sngp')], batch: { maxQueueRows: 10, maxDelayMs: 200 } });
    try {
      const answers = await Promise.all(Array.from({ length: 4 }, () => post(`${u2}/v2/models/sngp/infer`, featuresBody(Array.from({ length: 4 }, () => [0, 0])))));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, 200, 503, 503]);
      const full = answers.find((a) => a.status === 503)!;
      expect(full.headers.get('retry-after')).toBe('1');
      expect(full.body.error).toMatch(/queue full: 8 rows waiting \(limit 10\)/);
    } finally {
      await s2.close();
    }
  });
});

it('stats: requests accepted, answered and being worked on', async () => {
  const { server: s, url: u } = await startServer({ models: [modelPath('sngp')], batch: { maxDelayMs: 200 } });
  try {
    const pending = post(`${u}/v2/models/sngp/infer`, featuresBody([[0, 0]]));
    // The request waits in the 200 ms batching window.
    for (let i = 0; i < 100 && s.stats.inferring === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(s.stats.inferring).toBe(1);
    expect((await pending).status).toBe(200);
    expect(s.stats).toEqual({ accepted: 1, answered: 1, inferring: 0 });
  } finally {
    await s.close();
  }
});

describe('metrics and logs', () => {
  it('/metrics: requests and rows by model and status, latency, batch sizes, queue', async () => {
    await post(`${url}/v2/models/ensemble/infer`, featuresBody([[0, 0], [1, 1], [2, 2]]));
    await post(`${url}/v2/models/ensemble/infer`, { inputs: [] });
    const r = await fetch(`${url}/metrics`);
    expect(r.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await r.text();
    expect(text).toMatch(/sngp_requests_total\{model="ensemble",status="200"\} \d+/);
    expect(text).toMatch(/sngp_requests_total\{model="ensemble",status="400"\} \d+/);
    expect(text).toMatch(/sngp_rows_total\{model="ensemble",status="200"\} \d+/);
    expect(text).toMatch(/sngp_request_duration_seconds_bucket\{le="0.005",model="ensemble"\}/);
    expect(text).toMatch(/sngp_batch_rows_count\{model="ensemble"\} \d+/);
    expect(text).toMatch(/sngp_queue_rows\{model="ensemble"\} 0/);
  });

  it('one JSON log line per request', async () => {
    const lines: string[] = [];
    const { server: s, url: u } = await startServer({ models: [modelPath('deterministic')], log: (l) => lines.push(l) });
    try {
      await post(`${u}/v2/models/deterministic/infer`, featuresBody([[0, 0], [1, 1]]));
      await get(`${u}/v2/health/ready`);
    } finally {
      await s.close();
    }
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]);
    expect(first).toMatchObject({ method: 'POST', url: '/v2/models/deterministic/infer', status: 200, model: 'deterministic', rows: 2 });
    expect(first.ms).toBeGreaterThan(0);
    expect(JSON.parse(lines[1])).toMatchObject({ method: 'GET', status: 200 });
  });
});
