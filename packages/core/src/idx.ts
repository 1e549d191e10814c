/**
 * The IDX format of MNIST and Fashion-MNIST: bytes 0-1 are zero, byte 2 is the data type, byte 3
 * the number of dimensions, then one big-endian u32 per dimension, then the values, big-endian,
 * row-major. Pure decoding, browser-safe and push-based (`IdxReader` takes chunks as they come,
 * e.g. from a gunzip stream); the Node file loaders are in data-files.ts.
 */
import { type Dataset, allocateRows } from './dataset.js';
import { SngpError } from './errors.js';

/**
 * IDX value types by their type byte (byte 2 of the file): the type's name and its size in bytes.
 * Multi-byte values are big-endian in the file.
 */
export const IDX_DTYPES = {
  /** 0x08: unsigned byte (MNIST pixels and labels). */
  0x08: {
    /** Type name. */
    name: 'uint8',
    /** Bytes per value. */
    bytes: 1,
  },
  /** 0x09: signed byte. */
  0x09: {
    /** Type name. */
    name: 'int8',
    /** Bytes per value. */
    bytes: 1,
  },
  /** 0x0B: signed 16-bit integer. */
  0x0b: {
    /** Type name. */
    name: 'int16',
    /** Bytes per value. */
    bytes: 2,
  },
  /** 0x0C: signed 32-bit integer. */
  0x0c: {
    /** Type name. */
    name: 'int32',
    /** Bytes per value. */
    bytes: 4,
  },
  /** 0x0D: IEEE 754 single precision. */
  0x0d: {
    /** Type name. */
    name: 'float32',
    /** Bytes per value. */
    bytes: 4,
  },
  /** 0x0E: IEEE 754 double precision. */
  0x0e: {
    /** Type name. */
    name: 'float64',
    /** Bytes per value. */
    bytes: 8,
  },
} as const;

/** Name of an IDX value type. */
export type IdxDtype = (typeof IDX_DTYPES)[keyof typeof IDX_DTYPES]['name'];

/** What an IDX header declares. */
export interface IdxHeader {
  /** Value type, from the type byte (see {@link IDX_DTYPES}). */
  dtype: IdxDtype;
  /** Bytes per value. */
  bytesPerValue: number;
  /** Dimensions, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  /** Header length in bytes (4 + 4 per dimension). */
  headerBytes: number;
  /** Number of values (the product of `dims`). */
  count: number;
}

/** Decoded IDX contents: the header and every value, in file order. */
export interface IdxArray {
  /** The file's header: type, dimensions, value count. */
  header: IdxHeader;
  /** Values, multiplied by the reader's `scale`; float32 unless the reader was given another array. */
  data: Float32Array | Float64Array;
}

/**
 * True when a path names an IDX file by its extension: `.idx`, `.idx3`, `-ubyte`, each optionally
 * `.gz` (case-insensitive). The contents are not looked at.
 * @param path - a file path or name.
 * @returns whether the name looks like an IDX file.
 */
export function isIdxPath(path: string): boolean {
  return /(\.idx\d?|-ubyte)(\.gz)?$/i.test(path);
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');

/**
 * Shape as the user reads it, for messages.
 * @param h - a parsed header.
 * @returns e.g. "[60000, 28, 28] uint8".
 */
export function describeIdx(h: IdxHeader): string {
  return `[${h.dims.join(', ')}] ${h.dtype}`;
}

/**
 * Parse the header at the start of `bytes`; `null` when more bytes are needed. Wrong magic or an
 * unknown type byte is an SngpError naming `source`.
 * @param bytes - the first bytes of the file (uncompressed); any length, extra bytes are ignored.
 * @param source - names the file in error messages.
 * @returns the header, or null if `bytes` is shorter than the header (4 + 4 per dimension bytes).
 * @throws SngpError if the bytes are gzip-compressed, or the magic is wrong (first two bytes not
 *   zero, unknown type byte, zero dimensions).
 */
export function parseIdxHeader(bytes: Uint8Array, source: string): IdxHeader | null {
  if (bytes.length < 4) return null;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b)
    throw new SngpError(`${source}: gzip-compressed data; decompress it first (the Node loader does this for you)`);
  const typeByte = bytes[2];
  const spec = (IDX_DTYPES as Record<number, { name: IdxDtype; bytes: number } | undefined>)[typeByte];
  if (bytes[0] !== 0 || bytes[1] !== 0 || spec === undefined || bytes[3] === 0)
    throw new SngpError(
      `${source}: not an IDX file (magic bytes ${[...bytes.subarray(0, 4)].map(hex).join(' ')}; expected 00 00, a type byte ` +
        `(08 uint8, 09 int8, 0b int16, 0c int32, 0d float32, 0e float64) and a dimension count >= 1)`,
    );
  const ndims = bytes[3];
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  return { dtype: spec.name, bytesPerValue: spec.bytes, dims, headerBytes, count };
}

/** Options of `IdxReader`. */
export interface IdxReaderOptions {
  /** Name used in error messages (the file path). */
  source: string;
  /**
   * Where the values go, given the header (checked there: shape, size). Default: a Float32Array of
   * `count` values.
   * @param header - the parsed header; the returned array must hold at least `header.count` values.
   * @returns the array the values are written into, from index 0.
   */
  allocate?: (header: IdxHeader) => Float32Array | Float64Array;
  /**
   * Factor applied to every value (e.g. 1/255 for uint8 pixels), or a function of the header that
   * returns it (given the parsed header, e.g. to scale only uint8 data); default 1.
   */
  scale?:
    | number
    // A call-signature literal rather than `(header) => number`: TypeDoc documents its parameter.
    | {
        /**
         * The factor for a file, from its header.
         * @param header - the parsed header (e.g. to scale only uint8 data).
         * @returns the factor applied to every value.
         */
        (header: IdxHeader): number;
      };
}

/**
 * Push-based IDX decoder: `push` chunks in file order (any sizes), then `finish`. Values are
 * written into the output array as they arrive, so memory is the output plus one chunk.
 */
export class IdxReader {
  private head = new Uint8Array(0);
  private header: IdxHeader | null = null;
  private out: Float32Array | Float64Array | null = null;
  private scale = 1;
  /** Data bytes consumed so far (after the header). */
  private received = 0;
  /** Bytes of a value split across chunks. */
  private readonly carry = new Uint8Array(8);
  private carried = 0;
  private extra = 0;

  /**
   * A reader waiting for the first bytes of a file.
   * @param opts - source name for messages, and optionally where the values go (`allocate`,
   *   default a Float32Array of `count` values) and a factor applied to each (`scale`, default 1).
   */
  constructor(private readonly opts: IdxReaderOptions) {}

  /** The header, once enough bytes have arrived. */
  get parsedHeader(): IdxHeader | null {
    return this.header;
  }

  /**
   * Feed the next bytes of the file. Bytes beyond the declared data are counted and reported by
   * {@link IdxReader.finish}.
   * @param chunk - the next bytes in file order (uncompressed), any length including 0.
   * @throws SngpError if the header, once complete, is not IDX (see {@link parseIdxHeader}), or
   *   whatever `allocate` throws (e.g. an SngpError for data too large).
   */
  push(chunk: Uint8Array): void {
    if (this.header === null) {
      const joined = new Uint8Array(this.head.length + chunk.length);
      joined.set(this.head);
      joined.set(chunk, this.head.length);
      const header = parseIdxHeader(joined, this.opts.source);
      if (header === null) {
        this.head = joined;
        return;
      }
      this.start(header);
      chunk = joined.subarray(header.headerBytes);
      this.head = new Uint8Array(0);
    }
    this.decode(chunk);
  }

  private start(header: IdxHeader): void {
    this.header = header;
    this.out = this.opts.allocate ? this.opts.allocate(header) : new Float32Array(header.count);
    if (this.out.length < header.count) throw new Error(`IdxReader: allocate() returned ${this.out.length} values, need ${header.count}`);
    const s = this.opts.scale ?? 1;
    this.scale = typeof s === 'function' ? s(header) : s;
  }

  private decode(chunk: Uint8Array): void {
    const h = this.header!;
    const out = this.out!;
    const size = h.bytesPerValue;
    const total = h.count * size;
    let bytes = chunk;
    const room = total - this.received - this.carried;
    if (bytes.length > room) {
      this.extra += bytes.length - room;
      bytes = bytes.subarray(0, room);
    }
    const scale = this.scale;
    if (size === 1) {
      // The common case (uint8 pixels and labels): no alignment or byte-order work.
      const base = this.received;
      if (h.dtype === 'uint8') for (let i = 0; i < bytes.length; i++) out[base + i] = bytes[i] * scale;
      else for (let i = 0; i < bytes.length; i++) out[base + i] = ((bytes[i] << 24) >> 24) * scale;
      this.received += bytes.length;
      return;
    }
    let pos = 0;
    if (this.carried > 0) {
      const need = Math.min(size - this.carried, bytes.length);
      this.carry.set(bytes.subarray(0, need), this.carried);
      this.carried += need;
      pos = need;
      if (this.carried < size) return;
      this.writeValues(this.carry.subarray(0, size), 1);
      this.carried = 0;
    }
    const whole = Math.floor((bytes.length - pos) / size);
    this.writeValues(bytes.subarray(pos, pos + whole * size), whole);
    pos += whole * size;
    if (pos < bytes.length) {
      this.carry.set(bytes.subarray(pos));
      this.carried = bytes.length - pos;
    }
  }

  /** Big-endian multi-byte values, `n` of them, at the next output position. */
  private writeValues(bytes: Uint8Array, n: number): void {
    const h = this.header!;
    const out = this.out!;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const base = this.received / h.bytesPerValue;
    const scale = this.scale;
    for (let i = 0; i < n; i++) {
      const o = i * h.bytesPerValue;
      let v: number;
      if (h.dtype === 'int16') v = view.getInt16(o, false);
      else if (h.dtype === 'int32') v = view.getInt32(o, false);
      else if (h.dtype === 'float32') v = view.getFloat32(o, false);
      else v = view.getFloat64(o, false);
      out[base + i] = v * scale;
    }
    this.received += n * h.bytesPerValue;
  }

  /**
   * Everything arrived: check the length against the header and return the values.
   * @returns the header and its `count` values (scaled), in file order.
   * @throws SngpError if no bytes arrived, the header is incomplete, the data is shorter than the
   *   header declares, or bytes follow the declared data.
   */
  finish(): IdxArray {
    const src = this.opts.source;
    if (this.header === null) {
      if (this.head.length === 0) throw new SngpError(`${src}: file is empty`);
      throw new SngpError(`${src}: truncated IDX header (${this.head.length} bytes); re-download or re-extract the file`);
    }
    const h = this.header;
    const expected = h.count * h.bytesPerValue;
    const got = this.received + this.carried;
    if (got < expected)
      throw new SngpError(
        `${src}: truncated: the header declares ${describeIdx(h)} (${expected} bytes of data) but the file has only ${got}; re-download or re-extract it`,
      );
    if (this.extra > 0)
      throw new SngpError(`${src}: ${this.extra} bytes after the ${expected} bytes of data the header declares (${describeIdx(h)}); not a valid IDX file`);
    return { header: h, data: this.out!.subarray(0, h.count) as Float32Array | Float64Array };
  }
}

/**
 * Decode a whole IDX file held in memory (uncompressed).
 * @param bytes - the whole file.
 * @param opts - source name for messages, optional `allocate` and `scale` (see {@link IdxReaderOptions}).
 * @returns the header and every value (scaled), in file order.
 * @throws SngpError if the bytes are empty, gzip-compressed, not IDX, truncated, or longer than the
 *   header declares.
 */
export function decodeIdx(bytes: Uint8Array, opts: IdxReaderOptions): IdxArray {
  const r = new IdxReader(opts);
  r.push(bytes);
  return r.finish();
}

/** Options for turning IDX images and labels into a data set. */
export interface IdxDatasetOptions {
  /** Most bytes the features + labels may take; default: no limit. */
  maxBytes?: number;
}

/**
 * How an images file becomes features: `[n, ...]` -> n rows of prod(...) float32 features, uint8
 * pixels scaled to [0, 1]. Allocates the (checked) feature array.
 * @param header - the images file's header, at least 2 dimensions [n, ...].
 * @param source - names the file in error messages.
 * @param opts - `maxBytes`, the most bytes features + labels may take; default: no limit.
 * @returns the layout and the zero-filled feature array to decode into.
 * @throws SngpError if the header has fewer than 2 dimensions, no rows or no features, or the
 *   features exceed `maxBytes` or what a typed array can hold.
 */
export function idxFeatureLayout(
  header: IdxHeader,
  source: string,
  opts: IdxDatasetOptions = {},
): {
  /** Rows n: the first dimension. */
  rows: number;
  /** Features per row: the product of the other dimensions. */
  features: number;
  /** Factor for each value: 1/255 for uint8 (pixels to [0, 1]), else 1. */
  scale: number;
  /** Feature array, [rows, features] row-major, float32. */
  x: Float32Array;
} {
  if (header.dims.length < 2)
    throw new SngpError(`${source}: expected images or rows of at least 2 dimensions [n, ...], got ${describeIdx(header)}; did you swap --data and --labels?`);
  const rows = header.dims[0];
  const features = header.count / Math.max(1, rows);
  if (rows === 0 || features === 0) throw new SngpError(`${source}: no data (${describeIdx(header)})`);
  const { x } = allocateRows(source, rows, features, opts.maxBytes);
  return { rows, features, scale: header.dtype === 'uint8' ? 1 / 255 : 1, x };
}

/**
 * Feature names for IDX rows: `pixel_<r>_<c>` for images [n, h, w], else `feature_<i>`.
 * @param dims - the images file's dimensions, outermost (rows) first.
 * @returns one name per feature (the product of `dims` after the first), row-major.
 */
export function idxFeatureNames(dims: readonly number[]): string[] {
  const inner = dims.slice(1);
  const count = inner.reduce((a, b) => a * b, 1);
  if (inner.length === 2) return Array.from({ length: count }, (_, i) => `pixel_${Math.floor(i / inner[1])}_${i % inner[1]}`);
  return Array.from({ length: count }, (_, i) => `feature_${i}`);
}

/**
 * A labelled data set from decoded IDX images and labels: checks that labels are a 1-D array of
 * integers, one per image. Classes are the distinct label values, sorted numerically (as strings).
 * @param images - decoded images [n, ...] (already scaled, e.g. by {@link idxFeatureLayout}'s `scale`).
 * @param labels - decoded labels [n], integer values.
 * @param sources - file names of the images and of the labels, for error messages.
 * @returns n rows of prod(...) float32 features (the images' own array when it is float32) with
 *   class indices into the sorted distinct labels.
 * @throws SngpError if the labels are not 1-D, their count differs from the images' rows, or a
 *   label is not an integer.
 */
export function idxDataset(
  images: IdxArray,
  labels: IdxArray,
  sources: {
    /** Name of the images file. */
    images: string;
    /** Name of the labels file. */
    labels: string;
  },
): Dataset {
  const ih = images.header;
  const lh = labels.header;
  if (lh.dims.length !== 1)
    throw new SngpError(`${sources.labels}: labels must be a 1-D array [n], got ${describeIdx(lh)}; did you swap --data and --labels?`);
  const n = ih.dims[0];
  if (lh.dims[0] !== n)
    throw new SngpError(
      `${sources.images} has ${n} rows (${describeIdx(ih)}) but ${sources.labels} has ${lh.dims[0]} labels; pass the matching pair (e.g. train-images with train-labels)`,
    );
  const d = ih.count / n;
  const values = labels.data;
  const distinct = new Set<number>();
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isInteger(v)) throw new SngpError(`${sources.labels}: label ${i} is ${v}, expected an integer class`);
    distinct.add(v);
  }
  const sorted = [...distinct].sort((a, b) => a - b);
  const index = new Map(sorted.map((v, i) => [v, i]));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = index.get(values[i])!;
  const x = images.data instanceof Float32Array ? images.data : Float32Array.from(images.data);
  return { x, y, n, d, featureNames: idxFeatureNames(ih.dims), classes: sorted.map(String) };
}
