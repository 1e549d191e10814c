/** Request-body fuzz over real HTTP: always a 4xx with an error message, never a crash or a hang. */
import { connect as netConnect } from 'node:net';
import { Rng } from '@sngp/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SngpServer } from '../src/index.js';
import { featuresBody, post, startServer } from './fixtures.js';

let server: SngpServer;
let url: string;
beforeAll(async () => {
  ({ server, url } = await startServer({ bodyLimit: 100_000, clientTimeoutMs: 800, maxRowsPerRequest: 1000 }));
});
afterAll(async () => server?.close());

async function stillAnswers(): Promise<void> {
  const r = await post(`${url}/v2/models/sngp/infer`, featuresBody([[0.5, 0.25]]));
  expect(r.status).toBe(200);
}

it('malformed JSON, wrong types, huge or negative shapes, deep nesting: 4xx with an error', async () => {
  const rng = new Rng(1);
  const valid = JSON.stringify(featuresBody([[0.5, 0.25], [1, -1]]));
  const values: unknown[] = [null, true, 'x', -1, 1e308, -0.5, 2 ** 53, [], {}, [[]], '1e9999', [1e40], [Number.MAX_VALUE]];
  const bodies: string[] = [
    '', '{', '[]', 'null', '"x"', '{"inputs":null}', '{"inputs":[{}]}', valid.slice(0, 40), valid + '}', valid.replace('FP32', 'FP16'),
    '[' .repeat(10_000) + ']'.repeat(10_000), JSON.stringify({ inputs: [{ name: 'features', shape: [1, 2], datatype: 'FP32', data: JSON.parse('['.repeat(500) + '1' + ']'.repeat(500)) }] }),
    JSON.stringify({ inputs: [{ name: 'features', shape: [2 ** 31, 2 ** 31], datatype: 'FP32', data: [1] }] }),
    JSON.stringify({ inputs: [{ name: 'features', shape: [-5, 2], datatype: 'FP32', data: [1] }] }),
    JSON.stringify({ inputs: [{ name: 'features', shape: Array(50).fill(1), datatype: 'FP32', data: [1] }] }),
    JSON.stringify({ inputs: [{ name: 'features', shape: [1, 2], datatype: 'FP32', data: [1, 2] }], outputs: 'probs' }),
    '{"__proto__":{"inputs":[]},"inputs":[]}',
  ];
  // Random mutations of a valid body: a value replaced, a character dropped or inserted.
  for (let i = 0; i < 150; i++) {
    const obj = JSON.parse(valid);
    const pick = values[Math.floor(rng.uniform() * values.length)];
    const where = Math.floor(rng.uniform() * 5);
    if (where === 0) obj.inputs[0].shape[Math.floor(rng.uniform() * 2)] = pick;
    else if (where === 1) obj.inputs[0].data[Math.floor(rng.uniform() * 4)] = pick;
    else if (where === 2) obj.inputs[0].datatype = pick;
    else if (where === 3) obj.inputs[0].name = pick;
    else obj.outputs = pick;
    let text = JSON.stringify(obj);
    if (rng.uniform() < 0.3) {
      const at = Math.floor(rng.uniform() * text.length);
      text = text.slice(0, at) + (rng.uniform() < 0.5 ? '' : '{[",:'[Math.floor(rng.uniform() * 5)]) + text.slice(at + 1);
    }
    bodies.push(text);
  }
  let ok = 0;
  for (const body of bodies) {
    const r = await fetch(`${url}/v2/models/sngp/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
    const answer = await r.json();
    if (r.status === 200) {
      ok++; // a mutation that kept the body valid (e.g. a finite number swapped in)
      expect(answer.outputs.length).toBeGreaterThan(0);
      continue;
    }
    expect(r.status, body.slice(0, 200)).toBeGreaterThanOrEqual(400);
    expect(r.status, body.slice(0, 200)).toBeLessThan(500);
    expect(typeof answer.error, body.slice(0, 200)).toBe('string');
  }
  expect(ok).toBeLessThan(bodies.length / 2);
  await stillAnswers();
});

it('bodies over the limit: 413, even without a content-length', async () => {
  const big = JSON.stringify(featuresBody(Array.from({ length: 4000 }, () => [0.1234567, 0.7654321])));
  const r = await fetch(`${url}/v2/models/sngp/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
  expect(r.status).toBe(413);
  // Chunked (no content-length): the limit still holds while the body streams in.
  const stream = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(big));
      c.close();
    },
  });
  const s = await fetch(`${url}/v2/models/sngp/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
  expect(s.status).toBe(413);
  await stillAnswers();
});

it('slow clients: a request body that never finishes gets 408 and a closed connection, others are served meanwhile', async () => {
  const { port } = new URL(url);
  const t0 = Date.now();
  const reply = await new Promise<string>((resolve, reject) => {
    const sock = netConnect(Number(port), '127.0.0.1', () => {
      sock.write('POST /v2/models/sngp/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inputs":');
    });
    let data = '';
    sock.on('data', (d) => (data += d));
    sock.on('close', () => resolve(data));
    sock.on('error', reject);
    setTimeout(() => {
      sock.destroy();
      reject(new Error('the server kept a slow client open for 10 s'));
    }, 10_000);
  });
  await stillAnswers();
  expect(reply).toMatch(/^HTTP\/1\.1 408/);
  expect(Date.now() - t0).toBeLessThan(5000);
  await stillAnswers();
});
