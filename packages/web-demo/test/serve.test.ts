import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { pickEncoding, serve } from '../serve.mjs';

let root: string;
let url: string;
let close: () => void;
let big: Buffer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sngp-serve-'));
  mkdirSync(join(root, 'site', 'ort'), { recursive: true });
  writeFileSync(join(root, 'site', 'index.html'), '<p>demo</p>');
  writeFileSync(join(root, 'site', 'ort', 'x.wasm'), new Uint8Array([0, 97, 115, 109]));
  // A large, compressible "model": repeated structure as in real float weights.
  big = Buffer.alloc(200_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 13 === 0 ? i % 251 : 0;
  mkdirSync(join(root, 'site', 'models'));
  writeFileSync(join(root, 'site', 'models', 'm.onnx'), big);
  writeFileSync(join(root, 'secret.txt'), 'outside the root');
  // Symlinks: one to a file outside the root, one to a directory outside it, one that stays inside.
  symlinkSync(join(root, 'secret.txt'), join(root, 'site', 'leak.txt'));
  symlinkSync(root, join(root, 'site', 'up'));
  symlinkSync('index.html', join(root, 'site', 'alias.html'));
  symlinkSync('../../secret.txt', join(root, 'site', 'ort', 'deep.txt'));
  mkdirSync(join(root, 'site', 'dir.js'));
  spawnSync('mkfifo', [join(root, 'site', 'pipe.js')]);
  const s = await serve(join(root, 'site'));
  url = s.url;
  close = () => s.server.close();
});
afterAll(() => {
  close?.();
  rmSync(root, { recursive: true, force: true });
});

/** Raw request (no URL normalisation by a client library, so ../ reaches the server as sent). */
function get(path: string, method = 'GET', base = url): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return getRaw(path, method, base).then((r) => ({ ...r, body: r.raw.toString() }));
}

/** Raw request with extra headers; the body as bytes, not decoded. */
function getRaw(path: string, method = 'GET', base = url, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; raw: Buffer }> {
  return new Promise((ok, fail) => {
    const u = new URL(base);
    const req = request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }));
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

describe('serve.mjs hardening', () => {
  it('sends X-Content-Type-Options: nosniff on every response, Allow on 405', async () => {
    const cases: [string, string, number][] = [
      ['/', 'GET', 200], ['/', 'HEAD', 200], ['/models/none.onnx', 'GET', 404], ['/..%2fsecret.txt', 'GET', 403],
      ['/%E0%A4%A', 'GET', 400], ['/', 'POST', 405], ['/', 'DELETE', 405],
    ];
    for (const [path, method, status] of cases) {
      const r = await get(path, method);
      expect(r.status, `${method} ${path}`).toBe(status);
      expect(r.headers['x-content-type-options'], `${method} ${path}`).toBe('nosniff');
      expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
    }
    const r = await get('/', 'POST');
    expect(r.headers.allow).toBe('GET, HEAD');
  });

  it('never serves a file outside the root through a symlink; symlinks inside it work', async () => {
    for (const p of ['/leak.txt', '/up/secret.txt', '/ort/deep.txt']) {
      const r = await get(p);
      expect(r.status, p).toBe(403);
      expect(r.body).not.toContain('outside the root');
    }
    const inside = await get('/alias.html');
    expect(inside.status).toBe(200);
    expect(inside.body).toBe('<p>demo</p>');
  });

  it('a directory named like a file, a FIFO or a NUL byte is a 404, not a hang or a crash', async () => {
    for (const p of ['/dir.js', '/pipe.js', '/index.html%00.js']) expect((await get(p)).status, p).toBe(404);
    expect((await get('/')).status).toBe(200);
  });

  it('a file it cannot read is a 500 for that request, and the server keeps serving', async () => {
    // A real permission error: root reads anything, so as root the server runs as "nobody".
    const dir = mkdtempSync(join(tmpdir(), 'sngp-serve-locked-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'index.html'), '<p>still here</p>');
    writeFileSync(join(dir, 'locked.js'), 'secret');
    chmodSync(join(dir, 'locked.js'), 0o000);
    const asRoot = process.getuid?.() === 0;
    // "nobody" may not be able to read the checkout (e.g. a clone under a 0700 mktemp dir): run a
    // copy of the server script (node builtins only) from a world-readable place.
    const bin = mkdtempSync(join(tmpdir(), 'sngp-serve-bin-'));
    chmodSync(bin, 0o755);
    copyFileSync(resolve(import.meta.dirname, '../serve.mjs'), join(bin, 'serve.mjs'));
    chmodSync(join(bin, 'serve.mjs'), 0o644);
    const child: ChildProcess = spawn(process.execPath, [join(bin, 'serve.mjs'), dir, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    try {
      const base = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout!.on('data', (d) => {
          out += d;
          const m = /(http:\/\/\S+\/)/.exec(out);
          if (m) ok(m[1]);
        });
        child.once('exit', (code) => fail(new Error(`server exited ${code}: ${stderr}`)));
      });
      for (const method of ['GET', 'HEAD']) {
        const r = await get('/locked.js', method, base);
        expect(r.status, method).toBe(500);
        expect(r.headers['x-content-type-options']).toBe('nosniff');
        expect(r.body).not.toContain('secret');
      }
      const ok = await get('/', 'GET', base);
      expect(ok.status).toBe(200);
      expect(ok.body).toBe('<p>still here</p>');
      expect(child.exitCode).toBeNull();
      expect(stderr).toBe('');
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('serve.mjs compression', () => {
  it('picks brotli over gzip, honours q=0, and sends identity without Accept-Encoding', () => {
    expect(pickEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(pickEncoding('gzip')).toBe('gzip');
    expect(pickEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('identity')).toBeNull();
    expect(pickEncoding(undefined)).toBeNull();
  });

  it('serves a large model compressed when the client accepts it, byte-identical after decoding', async () => {
    const br = await getRaw('/models/m.onnx', 'GET', url, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(Number(br.headers['content-length'])).toBe(br.raw.length);
    expect(br.raw.length).toBeLessThan(big.length / 4);
    expect(brotliDecompressSync(br.raw).equals(big)).toBe(true);
    expect(br.headers['cross-origin-embedder-policy']).toBe('require-corp');

    const gz = await getRaw('/models/m.onnx', 'GET', url, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.raw).equals(big)).toBe(true);

    const head = await getRaw('/models/m.onnx', 'HEAD', url, { 'Accept-Encoding': 'br' });
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.headers['content-length']).toBe(br.headers['content-length']);
    expect(head.raw.length).toBe(0);

    const plain = await getRaw('/models/m.onnx');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.raw.equals(big)).toBe(true);
    // Tiny files are not worth it.
    const tiny = await getRaw('/ort/x.wasm', 'GET', url, { 'Accept-Encoding': 'br' });
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.headers['content-type']).toBe('application/wasm');
  });
});
