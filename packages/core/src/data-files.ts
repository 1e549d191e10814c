/**
 * Node-only data file loaders that stream: a CSV or IDX file of any size goes into typed arrays
 * without ever being held as one string or one buffer, so memory stays close to the float32 size
 * of the data. The row handling and decoding are the browser-safe ones of csv.ts and idx.ts.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { freemem } from 'node:os';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser } from 'csv-parse';
import { CSV_PARSE_OPTIONS, type CsvOptions, CsvTableBuilder, estimateCsvRows, toSngpError } from './csv.js';
import type { Dataset } from './dataset.js';
import { type LoadedTable, type RecordFeed, type TableOptions, loadTable } from './table.js';
import { SngpError } from './errors.js';
import { type IdxArray, IdxReader, type IdxReaderOptions, describeIdx, idxDataset, idxFeatureLayout } from './idx.js';

/** Bytes per read: large enough that per-chunk overhead vanishes, small next to the data. */
const CHUNK_BYTES = 1 << 20;

/** Options of the streaming loaders. */
export interface DataFileOptions {
  /**
   * Most bytes the features + labels may take; larger data is an SngpError naming rows, features
   * and bytes. Default: `availableMemory()`.
   */
  maxBytes?: number;
  /**
   * Called as the file is read, once per chunk of about 1 MB (CSV: the parsing pass; IDX: the
   * images file, compressed bytes). Default: nothing is reported.
   * @param bytesRead - bytes of the file read so far.
   * @param bytesTotal - the file's size in bytes (on disk, so compressed for a .gz file).
   */
  onProgress?: (bytesRead: number, bytesTotal: number) => void;
}

/** Pass-through stream that reports the bytes that went through it. */
function progressReporter(total: number, onProgress: (bytesRead: number, bytesTotal: number) => void): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      onProgress(done, total);
      cb(null, chunk);
    },
  });
}

/**
 * Memory this process can use for data: the OS's available memory (MemAvailable on Linux), or the
 * cgroup limit when that is lower.
 * @returns bytes, measured now (it changes as other processes run).
 */
export function availableMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const free = freemem();
  return limit && limit > 0 && limit < free ? limit : free;
}

function checkFile(path: string, kind: string): number {
  if (!existsSync(path)) throw new SngpError(`${path}: file does not exist`);
  const st = statSync(path);
  if (st.isDirectory()) throw new SngpError(`${path}: is a directory, expected ${kind}`);
  return st.size;
}

/** Count line feeds (and see whether the file ends with one): the row estimate of a CSV. */
async function countLineBreaks(path: string): Promise<{ lineBreaks: number; endsWithLineBreak: boolean }> {
  let lineBreaks = 0;
  let last = -1;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lineBreaks++;
    if (chunk.length > 0) last = chunk[chunk.length - 1];
  }
  return { lineBreaks, endsWithLineBreak: last === 10 };
}

/**
 * Index of the first byte of `bytes` that is not valid UTF-8 (WHATWG rules: no overlongs,
 * surrogates or values above U+10FFFF), or of an incomplete sequence at the end; -1 if none.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Pass-through stream that rejects invalid UTF-8 (a fatal TextDecoder in stream mode) and, only
 * when it fails, finds the offending byte and its line to name them.
 */
function utf8Validator(path: string): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0; // bytes before the current chunk
  let lines = 1; // line of the first byte of the current chunk
  let tail: Uint8Array = new Uint8Array(0); // last bytes of the previous chunk (a sequence may span chunks)
  // `joined` = the unfinished bytes of the previous chunk (`carried` of them) + the current chunk.
  const fail = (joined: Uint8Array, carried: number): SngpError => {
    const bad = Math.max(0, firstInvalidUtf8(joined));
    const at = offset - carried + bad;
    let line = lines;
    for (let i = carried; i < bad; i++) if (joined[i] === 10) line++;
    return new SngpError(
      `${path}: invalid UTF-8 at byte ${at} (row ${line}); save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8 ${basename(path)} > fixed.csv)`,
    );
  };
  // Where to restart a byte-exact check: the previous chunk ended on a character boundary except
  // for at most 3 bytes of an unfinished sequence, which begin at its last non-continuation byte.
  const pending = (): Uint8Array => {
    for (let i = Math.max(0, tail.length - 3); i < tail.length; i++) if ((tail[i] & 0xc0) !== 0x80) return tail.subarray(i);
    return new Uint8Array(0);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        const p = pending();
        const joined = new Uint8Array(p.length + chunk.length);
        joined.set(p);
        joined.set(chunk, p.length);
        return cb(fail(joined, p.length));
      }
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      offset += chunk.length;
      tail = chunk.subarray(Math.max(0, chunk.length - 3));
      cb(null, chunk);
    },
    flush(cb) {
      try {
        decoder.decode();
        cb();
      } catch {
        const p = pending();
        const at = offset - p.length + Math.max(0, firstInvalidUtf8(p));
        cb(new SngpError(`${path}: invalid UTF-8 at byte ${at} (an incomplete character at the end of the file); save the file as UTF-8`));
      }
    },
  });
}

/**
 * Stream a CSV file into a data set (see `parseCsv` for the format): two passes over the file,
 * one counting line breaks so the arrays are allocated once at their final size, one parsing
 * with csv-parse's streaming API. Strips a UTF-8 BOM; invalid UTF-8, duplicate column names,
 * empty labels and data too large for memory are SngpErrors naming the file (and row, column or
 * size).
 * @param path - the CSV file (UTF-8, header row first; see `parseCsv` for the format).
 * @param opts - `parseCsv` options other than `source` (the path is the source): label column
 *   (default: the last) and fixed classes; plus `maxBytes` (default: {@link availableMemory}) and
 *   `onProgress` (bytes read of the parsing pass).
 * @returns the data set: float32 features [n, d] row-major, int32 class indices [n], feature and
 *   class names.
 * @throws SngpError if the file does not exist, is a directory or empty, is not valid UTF-8, or
 *   its contents are not a valid table (duplicate or missing columns, ragged rows, non-numeric
 *   features, empty labels, labels outside `classes`, bad quoting), or the data exceeds `maxBytes`;
 *   each message names the file and, where it applies, the row, column or size.
 */
export async function readCsvFile(path: string, opts: Omit<CsvOptions, 'source'> & DataFileOptions = {}): Promise<Dataset> {
  const size = checkFile(path, 'a CSV file');
  if (size === 0) throw new SngpError(`${path}: file is empty`);
  const { lineBreaks, endsWithLineBreak } = await countLineBreaks(path);
  const builder = new CsvTableBuilder({
    ...opts,
    source: path,
    expectedRows: estimateCsvRows(lineBreaks, endsWithLineBreak),
    maxBytes: opts.maxBytes ?? availableMemory(),
  });
  await csvFileFeed(path, opts.onProgress)((record, line) => builder.record(record, line));
  return builder.finish();
}

/**
 * A record feed over a CSV file: each call streams the file through the UTF-8 check and
 * csv-parse (the options every reader shares), so a table can be read in several passes without
 * ever holding the file in memory.
 * @param path - the CSV file.
 * @param onProgress - called per chunk with the bytes read and the file's size (each pass starts
 *   again at 0); default: nothing is reported.
 * @returns the feed.
 */
export function csvFileFeed(path: string, onProgress?: (bytesRead: number, bytesTotal: number) => void): RecordFeed {
  return async (onRecord) => {
    const size = statSync(path).size;
    const parser = new Parser({
      ...CSV_PARSE_OPTIONS,
      on_record: (record: string[], info: { lines: number }) => {
        onRecord(record, info.lines);
        return null; // consumed here: nothing is queued in the stream
      },
    });
    try {
      await pipeline(
        createReadStream(path, { highWaterMark: CHUNK_BYTES }),
        progressReporter(size, onProgress ?? (() => {})),
        utf8Validator(path),
        parser,
        async function drain(source: AsyncIterable<unknown>) {
          for await (const _ of source); // records are consumed by on_record; this only ends the pipeline
        },
      );
    } catch (e) {
      throw toSngpError(e, path);
    }
  };
}

/**
 * Stream a CSV file that may have text columns, missing cells and columns to leave out (see
 * `loadTable`): a plain numeric file is read exactly as {@link readCsvFile} reads it (layout null);
 * otherwise a profile pass and a fill pass give raw values and their layout. Memory stays close to
 * the float32 size of the table.
 * @param path - the CSV file (UTF-8, header row first).
 * @param opts - label column, fixed classes, `features` / `ignore`, `onWarning`; `maxBytes`
 *   (default: {@link availableMemory}) and `onProgress` (per pass).
 * @returns the table and its layout.
 * @throws SngpError as {@link readCsvFile} does, and for unknown `features` / `ignore` names or a
 *   text column with too many distinct values (see `loadTable`).
 */
export async function readCsvTable(
  path: string,
  opts: Omit<TableOptions, 'source' | 'expectedRows'> & DataFileOptions = {},
): Promise<LoadedTable> {
  const size = checkFile(path, 'a CSV file');
  if (size === 0) throw new SngpError(`${path}: file is empty`);
  const { lineBreaks, endsWithLineBreak } = await countLineBreaks(path);
  return loadTable(csvFileFeed(path, opts.onProgress), {
    ...opts,
    source: path,
    expectedRows: estimateCsvRows(lineBreaks, endsWithLineBreak),
    maxBytes: opts.maxBytes ?? availableMemory(),
  });
}

/** Read the first bytes of a file (to sniff gzip). */
async function head(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Stream an IDX file (gzip-compressed or not, detected from its first bytes) through an
 * `IdxReader`; errors name the file (wrong magic, truncated data, corrupt gzip).
 * @param path - the IDX file, optionally gzip-compressed (e.g. `train-images-idx3-ubyte.gz`).
 * @param reader - `IdxReader` options other than `source` (the path is the source): `allocate`
 *   (default: a Float32Array of `count` values) and `scale` (default 1).
 * @param onProgress - called with the bytes of the file read so far (compressed, for a .gz file)
 *   and its size; default: nothing is reported.
 * @returns the header and every value (scaled), in file order.
 * @throws SngpError if the file does not exist, is a directory or empty, is not IDX, is truncated
 *   or has trailing bytes, holds corrupt gzip data, or `allocate` rejects it (e.g. too large).
 */
export async function readIdxFile(
  path: string,
  reader: Omit<IdxReaderOptions, 'source'> = {},
  onProgress?: (bytesRead: number, bytesTotal: number) => void,
): Promise<IdxArray> {
  const size = checkFile(path, 'an IDX file');
  if (size === 0) throw new SngpError(`${path}: file is empty`);
  const magic = await head(path, 2);
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
  const idx = new IdxReader({ ...reader, source: path });
  const file = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  // The reader's own error (wrong magic, too large, ...) wins over the AbortError the pipeline
  // reports when it tears the streams down after it.
  let readerError: unknown = null;
  try {
    const consume = async (source: AsyncIterable<Buffer>): Promise<void> => {
      for await (const chunk of source) {
        try {
          idx.push(chunk);
        } catch (e) {
          readerError = e;
          throw e;
        }
      }
    };
    const report = progressReporter(size, onProgress ?? (() => {}));
    if (gzipped) await pipeline(file, report, createGunzip({ chunkSize: 1 << 16 }), consume);
    else await pipeline(file, report, consume);
  } catch (e) {
    if (readerError !== null) throw readerError;
    if (e instanceof SngpError) throw e;
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('Z_') || /unexpected end of file|incorrect header check|invalid/i.test((e as Error).message))
      throw new SngpError(`${path}: corrupt or truncated gzip data (${(e as Error).message}); re-download the file`);
    throw e;
  }
  return idx.finish();
}

/**
 * Load IDX images and labels (e.g. Fashion-MNIST's train-images-idx3-ubyte.gz and
 * train-labels-idx1-ubyte.gz) as a data set: images [n, h, w] become n rows of h*w float32
 * features (uint8 pixels scaled to [0, 1]), labels [n] become classes.
 * @param imagesPath - the images file, [n, ...] of any IDX type, optionally gzip-compressed.
 * @param labelsPath - the labels file, [n] integers, optionally gzip-compressed; read first.
 * @param opts - `maxBytes` (default: {@link availableMemory}) and `onProgress` (the images file's
 *   bytes read).
 * @returns n rows of float32 features named `pixel_<r>_<c>` (images) or `feature_<i>`, with
 *   classes the distinct label values sorted numerically.
 * @throws SngpError if either file is missing, empty, not IDX, truncated or corrupt; the labels are
 *   not 1-D integers; the row counts differ; or the features exceed `maxBytes`.
 */
export async function loadIdxDataset(imagesPath: string, labelsPath: string, opts: DataFileOptions = {}): Promise<Dataset> {
  const maxBytes = opts.maxBytes ?? availableMemory();
  // Labels first: they are small, and a mismatch is then caught before the images are read.
  const labels = await readIdxFile(labelsPath, {
    allocate: (h) => {
      if (h.dims.length !== 1)
        throw new SngpError(`${labelsPath}: labels must be a 1-D array [n], got ${describeIdx(h)}; did you swap --data and --labels?`);
      return new Float64Array(h.count);
    },
  });
  let scale = 1;
  const images = await readIdxFile(
    imagesPath,
    {
      allocate: (h) => {
        if (h.dims[0] !== labels.header.dims[0])
          throw new SngpError(
            `${imagesPath} has ${h.dims[0]} rows (${describeIdx(h)}) but ${labelsPath} has ${labels.header.dims[0]} labels; pass the matching pair (e.g. train-images with train-labels)`,
          );
        const layout = idxFeatureLayout(h, imagesPath, { maxBytes });
        scale = layout.scale;
        return layout.x;
      },
      scale: () => scale,
    },
    opts.onProgress,
  );
  return idxDataset(images, labels, { images: imagesPath, labels: labelsPath });
}
