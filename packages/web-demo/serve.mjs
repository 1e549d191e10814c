#!/usr/bin/env node
/**
 * Static server for the built demo: `node serve.mjs [dir] [--port N] [--host H]`.
 * Sends COOP/COEP so the page is cross-origin isolated (onnxruntime-web's wasm threads need
 * SharedArrayBuffer). Compresses text and the large binaries (.wasm, .onnx) with brotli or gzip
 * when the client accepts it. No dependencies: node:http and node:zlib only.
 */
import { createHash } from 'node:crypto';
import { constants, realpathSync, statSync } from 'node:fs';
import { open, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** Worth compressing: text, and the big binaries (ORT's 28 MB .wasm becomes ~5.5 MB with brotli). */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.wasm', '.onnx']);
/** Below this, compression saves less than its headers cost. */
const MIN_COMPRESS = 1024;
const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/**
 * The encoding to send for an Accept-Encoding header: "br" over "gzip", honouring q=0; null for
 * none (identity).
 * @param {string | undefined} header
 * @returns {'br' | 'gzip' | null}
 */
export function pickEncoding(header) {
  if (!header) return null;
  const q = new Map();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const v = qp ? Number(qp.slice(2)) : 1;
    if (name) q.set(name, Number.isFinite(v) ? v : 0);
  }
  const score = (enc) => q.get(enc) ?? (q.has('*') ? q.get('*') : 0);
  if (score('br') > 0) return 'br';
  if (score('gzip') > 0) return 'gzip';
  return null;
}

/**
 * Compressed bodies by content hash and encoding, shared by every server of this process: each
 * file is compressed once (brotli quality 4: ~1.3 s for the .wasm on one core; a higher quality
 * costs seconds for a few percent). Bounded: the oldest entries go past CACHE_BYTES.
 * @type {Map<string, Promise<Buffer>>}
 */
const compressed = new Map();
const sizes = new Map();
const CACHE_BYTES = 128 * 1024 * 1024;

/**
 * @param {Buffer} body
 * @param {'br' | 'gzip'} encoding
 * @returns {Promise<Buffer>}
 */
function compress(body, encoding) {
  const key = `${encoding}:${createHash('sha1').update(body).digest('hex')}`;
  let hit = compressed.get(key);
  if (hit) {
    // Most recently used goes last.
    compressed.delete(key);
    compressed.set(key, hit);
    return hit;
  }
  hit =
    encoding === 'br'
      ? brotli(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length } })
      : gz(body, { level: 6 });
  compressed.set(key, hit);
  hit.then(
    (out) => {
      sizes.set(key, out.length);
      let total = [...sizes.values()].reduce((a, b) => a + b, 0);
      for (const k of compressed.keys()) {
        if (total <= CACHE_BYTES || k === key) break;
        total -= sizes.get(k) ?? 0;
        compressed.delete(k);
        sizes.delete(k);
      }
    },
    () => compressed.delete(key),
  );
  return hit;
}

/**
 * Compress the large assets under `dir` in the background (brotli, what browsers ask for), so the
 * first page load does not wait for it. Errors are ignored: a request compresses on demand.
 * @param {string} dir
 */
async function prewarm(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isFile() || !COMPRESSIBLE.has(extname(e.name))) continue;
    const file = join(e.parentPath ?? e.path, e.name);
    try {
      const st = await stat(file);
      if (st.size < 64 * 1024) continue;
      await compress(await readFile(file), 'br');
    } catch {
      // served uncompressed or compressed on demand
    }
  }
}

/** Codes that mean "there is no such file" (anything else on an existing path is a server error). */
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'ERR_INVALID_ARG_VALUE']);

/** True if `path` is `base` or inside it (both already resolved). */
function inside(base, path) {
  return path === base || path.startsWith(base.endsWith(sep) ? base : base + sep);
}

/**
 * Serve `root` on host:port (port 0: any free port). Resolves to { server, url }.
 * Every response carries the cross-origin isolation headers and `X-Content-Type-Options: nosniff`.
 * Nothing outside the root is served: the path is checked lexically, then symlinks are resolved
 * with realpath and the real path must be inside the real root. An error reading a file is a 500
 * for that request only; the server never stops because of one request.
 * Large .wasm / .onnx files are compressed in the background from the start (`precompress`).
 * @param {string} root
 * @param {{ port?: number, host?: string, precompress?: boolean }} [options]
 * @returns {Promise<{ server: import('node:http').Server, url: string }>}
 */
export function serve(root, { port = 0, host = '127.0.0.1', precompress = true } = {}) {
  const base = resolve(root);
  let realBase;
  try {
    realBase = realpathSync(base);
  } catch (e) {
    return Promise.reject(new Error(`${base}: cannot serve it (${e instanceof Error ? e.message : String(e)})`));
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      // Last resort: whatever went wrong, answer this request and keep serving.
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal error');
      else res.destroy(e instanceof Error ? e : undefined);
    });
  });

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  async function handle(req, res) {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad URL');
      return;
    }
    const notFound = () => res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
    const forbidden = () => res.writeHead(403, { 'Content-Type': 'text/plain' }).end('forbidden');
    const failed = () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`cannot read: ${path}`);
    if (path.includes('\0')) return notFound();
    // Refuse anything that escapes the root (../, encoded or not) before touching the disk ...
    const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path));
    if (!inside(base, file)) return forbidden();
    // ... and after following symlinks: the real path must be inside the real root.
    let real;
    try {
      real = await realpath(file);
    } catch (e) {
      return MISSING.has(/** @type {NodeJS.ErrnoException} */ (e).code ?? '') ? notFound() : failed();
    }
    if (!inside(realBase, real)) return forbidden();
    // stat before open: opening a FIFO would block until a writer comes.
    let st;
    try {
      st = await stat(real);
    } catch (e) {
      return MISSING.has(/** @type {NodeJS.ErrnoException} */ (e).code ?? '') ? notFound() : failed();
    }
    if (!st.isFile()) return notFound();
    let fh;
    try {
      // O_NOFOLLOW: the resolved path must not have become a symlink since; fstat what was opened.
      fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      st = await fh.stat();
    } catch (e) {
      await fh?.close();
      return MISSING.has(/** @type {NodeJS.ErrnoException} */ (e).code ?? '') ? notFound() : failed();
    }
    if (!st.isFile()) {
      await fh.close();
      return notFound();
    }
    const type = TYPES[extname(real)] ?? 'application/octet-stream';
    const headers = { 'Content-Type': type, 'Content-Length': st.size };
    const compressible = COMPRESSIBLE.has(extname(real)) && st.size >= MIN_COMPRESS;
    if (compressible) res.setHeader('Vary', 'Accept-Encoding');
    const encoding = compressible ? pickEncoding(req.headers['accept-encoding']) : null;
    if (encoding) {
      // Whole file in memory, compressed once per content (see compress): these are build assets.
      let body;
      try {
        const raw = await fh.readFile();
        body = await compress(raw, encoding);
      } catch {
        return failed();
      } finally {
        await fh.close();
      }
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Content-Encoding': encoding });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (req.method === 'HEAD') {
      await fh.close();
      res.writeHead(200, headers).end();
      return;
    }
    // Headers wait for the first chunk, so a file that fails on its first read is still a clean 500.
    const stream = fh.createReadStream();
    let started = false;
    const start = () => {
      if (!started) res.writeHead(200, headers);
      started = true;
    };
    stream.on('data', (chunk) => {
      start();
      if (!res.write(chunk)) {
        stream.pause();
        res.once('drain', () => stream.resume());
      }
    });
    stream.on('end', () => {
      start();
      res.end();
    });
    stream.on('error', () => {
      // Mid-body the status is gone: cut the connection so the client sees a failed transfer.
      if (!started) failed();
      else res.destroy();
    });
    res.on('close', () => stream.destroy());
  }

  if (precompress) void prewarm(realBase);
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      ok({ server, url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${p}/` });
    });
  });
}

// CLI
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    if (i < 0) return dflt;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const port = Number(opt('--port', process.env.PORT ?? '5180'));
  const host = opt('--host', '127.0.0.1');
  const root = args[0] ?? fileURLToPath(new URL('./dist', import.meta.url));
  try {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected 0..65535, got ${port}`);
    if (!statSync(join(root, 'index.html'), { throwIfNoEntry: false })) throw new Error(`${root}/index.html not found: build the demo first (npm run demo from the repository root, or npm run build -w @sngp/web-demo)`);
    const { url } = await serve(root, { port, host });
    console.log(`SNGP web demo: ${url}  (serving ${resolve(root)}; Ctrl+C to stop)`);
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
