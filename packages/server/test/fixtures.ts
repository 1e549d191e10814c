import { join } from 'node:path';
import { type Method } from '@sngp/core';
import { inject } from 'vitest';
import { createServer, type ServerOptions, type SngpServer } from '../src/index.js';

export function modelPath(method: Method): string {
  return join(inject('modelsDir'), `${method}.onnx`);
}

/** A real server on 127.0.0.1, any free port. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<{ server: SngpServer; url: string }> {
  const server = await createServer({ models: [inject('modelsDir')], ...options });
  const url = await server.listen(0, '127.0.0.1');
  return { server, url };
}

/** POST JSON (or a raw string) and return status, headers and the parsed body. */
export async function post(url: string, body: unknown, raw = false): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

export async function get(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

/** An infer body for `rows` of [x, y] features. */
export function featuresBody(rows: number[][], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { inputs: [{ name: 'features', shape: [rows.length, 2], datatype: 'FP32', data: rows.flat() }], ...extra };
}
