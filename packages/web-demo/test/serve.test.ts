import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { serve } from '../serve.mjs';

let root: string;
let url: string;
let close: () => void;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sngp-serve-'));
  mkdirSync(join(root, 'site', 'ort'), { recursive: true });
  writeFileSync(join(root, 'site', 'index.html'), '<p>demo</p>');
  writeFileSync(join(root, 'site', 'ort', 'x.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(root, 'secret.txt'), 'outside the root');
  const s = await serve(join(root, 'site'));
  url = s.url;
  close = () => s.server.close();
});
afterAll(() => {
  close?.();
  rmSync(root, { recursive: true, force: true });
});

/** Raw GET (no URL normalisation by a client library, so ../ reaches the server as sent). */
function get(path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('serve.mjs', () => {
  it('serves index.html with the cross-origin isolation headers', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toBe('<p>demo</p>');
    expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(r.headers['content-type']).toMatch(/text\/html/);
  });
  it('serves wasm as application/wasm (needed for streaming compilation)', async () => {
    const r = await get('/ort/x.wasm');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/wasm');
  });
  it('answers 404 for missing files and refuses paths that leave the root', async () => {
    expect((await get('/models/none.onnx')).status).toBe(404);
    for (const p of ['/../secret.txt', '/..%2fsecret.txt', '/ort/..%2f..%2fsecret.txt']) {
      const r = await get(p);
      expect(r.status, p).not.toBe(200);
      expect(r.body).not.toContain('outside the root');
    }
  });
});
