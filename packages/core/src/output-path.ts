/**
 * Node-only: what a CLI may write at its output path. A CLI only ever replaces something it
 * recognises as its own kind of output (a checkpoint directory, an ONNX model of ours, a report
 * folder); anything else is refused, before any work, unless `--force` is given. Some paths are
 * refused even with `--force`: the root directory, the home directory (or one holding it), the
 * current directory (or one holding it) and the inputs of the same run.
 */
import { closeSync, lstatSync, openSync, readFileSync, readSync, readdirSync, realpathSync, rmSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { CHECKPOINT_FORMAT, CHECKPOINT_JSON, CHECKPOINT_WEIGHTS } from './checkpoint.js';
import { SngpError } from './errors.js';
import { MODEL_CARD_KEYS } from './model-card.js';
import { readOnnxHeader } from './onnx-header.js';
import { trackTemp, untrackTemp } from './temp-registry.js';

/** A kind of output a tool writes, and how to recognise one that already exists. */
export interface OutputKind {
  /** What it is, for messages: "checkpoint directory". */
  readonly noun: string;
  /** The tool that writes it, for messages: "sngp-train". */
  readonly writer: string;
  /** A directory (checkpoint, report) or a single file (ONNX model). */
  readonly directory: boolean;
  /** An example path for messages: "ckpt/sngp". */
  readonly example: string;
  /**
   * Why the existing, non-empty `path` is NOT this kind of output, or null when it is one of ours
   * (and may be replaced). Must only read.
   * @param path - the absolute output path; it exists and is not empty.
   * @returns null, or the reason shown in the refusal, e.g. "it has no checkpoint.json".
   */
  recognise(path: string): string | null;
}

/** Options of {@link checkOutputPath}. */
export interface OutputCheckOptions {
  /** Replace an existing output even if it is not ours (never a protected path or an input). */
  force?: boolean;
  /** Paths read by the same run: the output may not be, hold, or lie inside any of them. */
  inputs?: readonly string[];
  /** How the CLI spells the option, for messages (default "--out"; "" for none). */
  flag?: string;
  /** Create and remove a probe file where the output will go, so an unwritable place fails now (default true). */
  probe?: boolean;
  /** Current directory to protect (default process.cwd()). */
  cwd?: string;
  /** Home directory to protect (default os.homedir()). */
  home?: string;
}

/** What is at the output path now: nothing, an empty file or directory, our own output, or something replaced by --force. */
export type OutputState = 'absent' | 'empty' | 'ours' | 'forced';

/** The result of {@link checkOutputPath}. */
export interface OutputPlan {
  /** The absolute output path. */
  target: string;
  /** What is there now (decides nothing by itself: the writer replaces it atomically). */
  state: OutputState;
}

/** `child` is `parent` or lies inside it (lexically; both absolute). */
function isSameOrInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith('..' + sep));
}

/** The real path of `p`, resolving symbolic links of the part that exists. */
function realish(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    const parent = dirname(p);
    return parent === p ? p : join(realish(parent), basename(p));
  }
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null; // ENOTDIR: a file in the way, reported by the probe
    throw e;
  }
}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^[A-Z]+: /, '').split(',')[0]}` : String(err.message ?? e);
}

/** Fail now if nothing can be created where `target` will go (read-only disk, no permission, a file in the way). */
function probeWritable(target: string, fail: (why: string) => SngpError): void {
  let dir = dirname(target);
  for (;;) {
    const st = lstatOrNull(dir);
    if (st) {
      if (!statSync(dir).isDirectory()) throw fail(`cannot be created: ${dir} is not a directory`);
      break;
    }
    const up = dirname(dir);
    if (up === dir) throw fail(`cannot be created: no existing parent directory`);
    dir = up;
  }
  const probe = join(dir, `.sngp-probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  trackTemp(probe);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
  } catch (e) {
    throw fail(`cannot write in ${dir} (${errnoText(e)})`);
  } finally {
    untrackTemp(probe);
  }
}

/**
 * Check, before any work, that a tool may write its output at `path`. Throws a one-line SngpError
 * naming the problem and what to do; returns what is there now. Read-only apart from the probe file.
 * @param path - the output path as the user gave it.
 * @param kind - what the tool writes, e.g. {@link CHECKPOINT_OUTPUT} or {@link ONNX_MODEL_OUTPUT}.
 * @param opts - `force`, the run's `inputs`, the flag name for messages, and the probe switch.
 * @returns the absolute path and what is there now.
 * @throws SngpError if the path is empty, protected (root, home, current directory, or an input,
 *   even with `force`), holds something that is not this kind of output (without `force`), is the
 *   wrong type (a directory for a file output), or cannot be written.
 */
export function checkOutputPath(path: string, kind: OutputKind, opts: OutputCheckOptions = {}): OutputPlan {
  const flag = opts.flag ?? '--out';
  const label = flag ? `${flag} ${path}` : path;
  const fail = (why: string) => new SngpError(`${label}: ${why}`);
  if (path.trim() === '') throw new SngpError(`${flag || 'output path'} is empty; expected a path such as ${kind.example}`);
  const target = resolve(path);
  const real = realish(target);
  const pick = `choose a new path such as ${kind.example}`;

  // Paths never replaced, not even with --force: both as written and through symbolic links.
  const same = (a: string, b: string) => a === b;
  const both = (test: (t: string, o: string) => boolean, other: string) => test(target, other) || test(real, realish(other));
  if (target === parse(target).root || real === parse(real).root) throw fail(`is the root directory; refusing to write there (${pick})`);
  const home = opts.home ?? homedir();
  if (home) {
    if (both(same, home)) throw fail(`is the home directory; refusing to replace it (${pick})`);
    if (both((t, o) => isSameOrInside(o, t), home)) throw fail(`contains the home directory; refusing to replace it (${pick})`);
  }
  const cwd = resolve(opts.cwd ?? process.cwd());
  if (both(same, cwd)) throw fail(`is the current directory; refusing to replace it (${pick})`);
  if (both((t, o) => isSameOrInside(o, t), cwd)) throw fail(`contains the current directory; refusing to replace it (${pick})`);
  for (const input of opts.inputs ?? []) {
    const abs = resolve(input);
    if (both(same, abs)) throw fail(`is an input of this run; refusing to overwrite it (${pick})`);
    if (both(isSameOrInside, abs)) throw fail(`is inside ${input}, an input of this run; refusing to write there (${pick})`);
    if (both((t, o) => isSameOrInside(o, t), abs)) throw fail(`contains ${input}, an input of this run; refusing to replace it (${pick})`);
  }

  const force = opts.force === true;
  const notOurs = (why: string) =>
    fail(`exists and is not ${/^[aeiouAEIOU]/.test(kind.noun) ? 'an' : 'a'} ${kind.noun} written by ${kind.writer} (${why}); refusing to replace it: ${pick}, or pass --force to replace it`);
  let state: OutputState;
  const st = lstatOrNull(target);
  if (!st) state = 'absent';
  else if (st.isSymbolicLink()) {
    if (!force) throw notOurs('it is a symbolic link; --force replaces the link itself, not what it points to');
    state = 'forced';
  } else if (st.isDirectory()) {
    if (!kind.directory) throw fail(`is a directory, expected a file path such as ${kind.example}`);
    if (readdirSync(target).length === 0) state = 'empty';
    else {
      const why = kind.recognise(target);
      if (why === null) state = 'ours';
      else if (force) state = 'forced';
      else throw notOurs(why);
    }
  } else if (!st.isFile()) {
    throw fail(`is not a regular file or directory; refusing to replace it (${pick})`);
  } else if (st.size === 0) state = 'empty';
  else {
    const why = kind.directory ? `it is a file` : kind.recognise(target);
    if (why === null) state = 'ours';
    else if (force) state = 'forced';
    else throw notOurs(why);
  }
  if (opts.probe !== false) probeWritable(target, fail);
  return { target, state };
}

/** Our checkpoint: `checkpoint.json` with format "sngp-checkpoint", and nothing but our two files. */
function recogniseCheckpoint(dir: string): string | null {
  const st = lstatSync(dir);
  if (!st.isDirectory()) return 'it is a file';
  const entries = readdirSync(dir);
  if (!entries.includes(CHECKPOINT_JSON)) return `it has no ${CHECKPOINT_JSON}`;
  let format: unknown;
  try {
    format = (JSON.parse(readFileSync(join(dir, CHECKPOINT_JSON), 'utf8')) as { format?: unknown } | null)?.format;
  } catch {
    return `its ${CHECKPOINT_JSON} is not valid JSON`;
  }
  if (format !== CHECKPOINT_FORMAT) return `its ${CHECKPOINT_JSON} has no "format": "${CHECKPOINT_FORMAT}"`;
  const others = entries.filter((e) => e !== CHECKPOINT_JSON && e !== CHECKPOINT_WEIGHTS);
  if (others.length > 0) return `it also holds ${describeEntries(others)}`;
  for (const e of entries) if (!lstatSync(join(dir, e)).isFile()) return `${e} is not a regular file`;
  return null;
}

/**
 * "3 other entries (a, b, c)" for messages: the count and at most three names.
 * @param names - directory entry names.
 * @returns the phrase.
 */
export function describeEntries(names: string[]): string {
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ', ...' : '');
  return `${names.length} other ${names.length === 1 ? 'entry' : 'entries'} (${shown})`;
}

// ModelProto field 1 (ir_version, varint) comes first in every model we export (fields are
// serialised in field-number order), so one byte rejects most foreign files without reading them.
const ONNX_FIRST_BYTE = 0x08;
const MAX_ONNX_BYTES = 2 ** 31 - 1; // protobuf's own limit

/** Our ONNX model: parses as an ONNX ModelProto and carries the `sngp.method` model-card key. */
function recogniseOnnxModel(file: string): string | null {
  const st = statSync(file);
  if (!st.isFile()) return 'it is not a regular file';
  if (st.size > MAX_ONNX_BYTES) return 'it is larger than any ONNX model';
  const first = Buffer.alloc(1);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, first, 0, 1, 0);
  } finally {
    closeSync(fd);
  }
  if (first[0] !== ONNX_FIRST_BYTE) return 'it is not an ONNX model';
  let metadata: Record<string, string>;
  try {
    metadata = readOnnxHeader(new Uint8Array(readFileSync(file)), file).metadata;
  } catch {
    return 'it is not an ONNX model';
  }
  if (!(MODEL_CARD_KEYS.method in metadata)) return `it is an ONNX model without the "${MODEL_CARD_KEYS.method}" model card`;
  return null;
}

/** A checkpoint directory written by sngp-train (`checkpoint.json` + `weights.safetensors`). */
export const CHECKPOINT_OUTPUT: OutputKind = {
  noun: 'checkpoint directory',
  writer: 'sngp-train',
  directory: true,
  example: 'ckpt/sngp',
  recognise: recogniseCheckpoint,
};

/** An ONNX model written by sngp-export (it carries the `sngp.*` model card). */
export const ONNX_MODEL_OUTPUT: OutputKind = {
  noun: 'ONNX model',
  writer: 'sngp-export',
  directory: false,
  example: 'model.onnx',
  recognise: recogniseOnnxModel,
};
