/** The runtime's connect() against a real sngp-serve and a generic OIP server (no card in its metadata). */
import { createServer as httpServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { METHODS, twoMoons } from '@sngp/core';
import { connect, loadModel } from '@sngp/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SngpServer } from '../src/index.js';
import { modelPath, startServer } from './fixtures.js';

let server: SngpServer;
let url: string;
let proxy: Server;
let proxyUrl: string;
/** Requests the proxy answers 503 before forwarding, and whether it hangs. */
const proxyState = { fail503: 0, hang: false, seen503: 0 };

beforeAll(async () => {
  ({ server, url } = await startServer());
  // A stand-in for Triton / KServe: forwards to sngp-serve but drops our card from the metadata.
  proxy = httpServer(async (req, res) => {
    if (proxyState.hang) return; // never answers
    if (proxyState.fail503 > 0) {
      proxyState.fail503--;
      proxyState.seen503++;
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' }).end(JSON.stringify({ error: 'busy' }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const r = await fetch(url + req.url, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
    let text = await r.text();
    if (req.method === 'GET' && r.ok) {
      const meta = JSON.parse(text);
      delete meta.parameters;
      text = JSON.stringify(meta);
    }
    res.writeHead(r.status, { 'content-type': 'application/json' }).end(text);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise((r) => proxy?.close(r));
  await server?.close();
});

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('connect() gives what loadModel() gives', () => {
  const { test } = twoMoons(0);
  for (const m of METHODS)
    it(`${m}: the two-moons test set within 1e-6, against sngp-serve and a generic server`, async () => {
      const local = await loadModel(modelPath(m));
      const want = await local.predict(test.x);
      const remote = await connect(url, { model: m });
      const generic = await connect(proxyUrl, { model: m, card: modelPath(m), batchSize: 400 });
      try {
        expect(remote.info).toMatchObject({ method: m, classes: local.info.classes, featureNames: local.info.featureNames, provider: 'remote' });
        expect(remote.info.card).toEqual(local.info.card);
        for (const model of [remote, generic]) {
          const got = await model.predict(test.x);
          expect(got.rows).toBe(test.x.length / 2);
          expect(maxAbs(got.probs, want.probs)).toBeLessThan(1e-6);
          expect(Array.from(got.predicted)).toEqual(Array.from(want.predicted));
          expect(maxAbs(got.scores.logNonMax, want.scores.logNonMax)).toBeLessThan(1e-6);
          if (m === 'sngp') expect(maxAbs(got.variance!, want.variance!)).toBeLessThan(1e-6);
          // Options run client-side, as in process.
          const t2 = await model.predict(test.x.subarray(0, 20), { temperature: 2 });
          expect(maxAbs(t2.probs, (await local.predict(test.x.subarray(0, 20), { temperature: 2 })).probs)).toBeLessThan(1e-6);
        }
      } finally {
        await Promise.all([local.dispose(), remote.dispose(), generic.dispose()]);
      }
    });
});

describe('connect() errors, card sources, retries and timeouts', () => {
  it('the card from the model bytes, from its JSON entries, or missing', async () => {
    const bytes = new Uint8Array(readFileSync(modelPath('sngp')));
    const a = await connect(proxyUrl, { model: 'sngp', card: bytes });
    const entries = (await loadModel(modelPath('sngp'))).info.metadata;
    const b = await connect(proxyUrl, { model: 'sngp', card: new TextEncoder().encode(JSON.stringify(entries)) });
    expect(a.info.card).toEqual(b.info.card);
    await expect(connect(proxyUrl, { model: 'sngp' })).rejects.toThrow(/v2\/models\/sngp: the server does not hand out the model card .*options\.card/);
    // A card of another method than the served graph.
    await expect(connect(proxyUrl, { model: "sngp", card: modelPath("ensemble") })).rejects.toThrow(/v2\/models\/sngp: graph output "logits" has shape \[dim0,2\], expected 3 dimensions/);
  });

  it('errors name the URL and the server message', async () => {
    await expect(connect(url, { model: 'nope' })).rejects.toThrow(new RegExp(`${url}/v2/models/nope: HTTP 404: model "nope" is not served`));
    await expect(connect(url, { model: 'sngp', version: '9' })).rejects.toThrow(/versions\/9: HTTP 404: model "sngp" has no version "9"/);
    await expect(connect('http://127.0.0.1:9', { model: 'sngp' })).rejects.toThrow(/127\.0\.0\.1:9\/v2\/models\/sngp: cannot reach the server/);
    const m = await connect(url, { model: 'sngp' });
    await expect(m.predict([[1, 2, 3]])).rejects.toThrow(/features\[0\]: expected 2 values/);
    await m.dispose();
  });

  it('retries 503 after Retry-After, gives up after `retries`', async () => {
    proxyState.fail503 = 2;
    proxyState.seen503 = 0;
    const m = await connect(proxyUrl, { model: 'deterministic', card: modelPath('deterministic'), retries: 2 });
    expect(proxyState.seen503).toBe(2);
    proxyState.fail503 = 2;
    await expect(m.predict([[0, 0]])).resolves.toMatchObject({ rows: 1 });
    proxyState.fail503 = 3;
    await expect(m.predict([[0, 0]])).rejects.toThrow(/infer: HTTP 503 after 2 retries: busy/);
    proxyState.fail503 = 0;
  });

  it('a server that does not answer: timeout naming the URL', async () => {
    proxyState.hang = true;
    try {
      await expect(connect(proxyUrl, { model: 'sngp', card: modelPath('sngp'), timeoutMs: 300 })).rejects.toThrow(/v2\/models\/sngp: no answer within 300 ms/);
    } finally {
      proxyState.hang = false;
    }
  });
});
