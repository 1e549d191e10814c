/**
 * Which models a server serves: `.onnx` files (name = file name, version 1) and Triton-style
 * folders `<name>/<version>/model.onnx` (what `sngp-export --triton` writes), given as files or
 * found in directories.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SngpError } from '@sngp/core';

/** One model version on disk. */
export interface ModelEntry {
  /** Model name in URLs. */
  name: string;
  /** Version in URLs (a positive integer as text). */
  version: string;
  /** The .onnx file. */
  path: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

function tritonVersions(dir: string, name: string): ModelEntry[] {
  const out: ModelEntry[] = [];
  for (const v of readdirSync(dir)) {
    const file = join(dir, v, 'model.onnx');
    if (/^[1-9][0-9]*$/.test(v) && statSync(file, { throwIfNoEntry: false })?.isFile()) out.push({ name, version: v, path: file });
  }
  return out;
}

/**
 * Find the models to serve.
 * @param paths - .onnx files and directories (holding .onnx files and/or Triton model folders).
 * @returns every model version, sorted by name then version.
 * @throws SngpError for a path that does not exist, a name served twice, or no model at all.
 */
export function findModels(paths: readonly string[]): ModelEntry[] {
  const found: ModelEntry[] = [];
  const add = (e: ModelEntry, from: string): void => {
    if (!NAME.test(e.name)) throw new SngpError(`${from}: model name "${e.name}" must be letters, digits, '_', '.' or '-'`);
    const twin = found.find((f) => f.name === e.name && f.version === e.version);
    if (twin) throw new SngpError(`${from}: model "${e.name}" version ${e.version} is also ${twin.path}; rename one`);
    found.push(e);
  };
  for (const p of paths) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new SngpError(`${p}: no such file or directory`);
    if (st.isFile()) {
      if (!p.endsWith('.onnx')) throw new SngpError(`${p}: expected an .onnx file or a directory`);
      add({ name: basename(p, '.onnx'), version: '1', path: p }, p);
      continue;
    }
    const versions = tritonVersions(p, basename(p));
    if (versions.length > 0) versions.forEach((e) => add(e, p));
    for (const entry of readdirSync(p).sort()) {
      const full = join(p, entry);
      const s = statSync(full, { throwIfNoEntry: false });
      if (s?.isFile() && entry.endsWith('.onnx') && versions.length === 0) add({ name: basename(entry, '.onnx'), version: '1', path: full }, full);
      else if (s?.isDirectory()) tritonVersions(full, entry).forEach((e) => add(e, full));
    }
  }
  if (found.length === 0) throw new SngpError(`no models found in ${paths.join(', ')} (expected .onnx files or <name>/<version>/model.onnx)`);
  return found.sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
}
