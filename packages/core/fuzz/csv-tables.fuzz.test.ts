/**
 * Fuzz (issue #20): mutated CSV tables through `readCsvTable` (the streaming loader sngp-train
 * uses), then the preprocessing fit and encoding. Tables mix numeric, text and mixed columns with
 * missing cells in every documented spelling; mutations add quotes (good and broken), ragged rows,
 * a BOM, invalid UTF-8, CRLF / CR line ends, blank lines, duplicate or empty header names,
 * whitespace and stray characters. Each case must be a correct load or one SngpError, never another
 * error, a hang or a silently wrong value: every loaded value is checked against an independent
 * reading of the same cells (csv-parse only splits the records; the numeric, missing, category and
 * label logic is recomputed here), and every encoded feature must be finite.
 *
 * Seed: SNGP_FUZZ_SEED (default 1); cases: SNGP_FUZZ_TABLES (default 1200). Figures printed at the end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { MISSING_SPELLINGS, Rng, SngpError, encodeTable, fitPreprocessing } from '../src/index.js';
import { readCsvTable } from '../src/node.js';

const SEED = Number(process.env.SNGP_FUZZ_SEED ?? 1);
const CASES = Number(process.env.SNGP_FUZZ_TABLES ?? 1200);
const rng = new Rng(SEED);
const work = mkdtempSync(join(tmpdir(), 'sngp-fuzz-tables-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)];
const chance = (p: number): boolean => rng.uniform() < p;
const int = (lo: number, hi: number): number => lo + Math.floor(rng.uniform() * (hi - lo + 1));

const MISSING_CELLS = ['', 'NA', 'na', 'N/A', 'NaN', 'null', 'NULL', 'None', '?'];
const WORDS = ['red', 'green', 'blue', 'Red', 'A', 'b', 'x y', 'é', '日本', 'a,b', 'say "hi"', '1e3', '0x1F', '-0', 'Infinity', '12abc'];

function numberCell(): string {
  return pick([String(int(-1000, 1000)), (rng.normal() * 100).toFixed(int(0, 6)), (rng.normal() * 1e-5).toExponential(3), '1e38', '-3.5', '0', '+7']);
}

/** A CSV cell as written: quoted when it needs it (or at random). */
function quote(cell: string): string {
  return /[",\n\r]/.test(cell) || chance(0.05) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

interface Case {
  bytes: Uint8Array;
  mutations: string[];
}

function makeCase(): Case {
  const cols = int(1, 5);
  const n = int(1, 30);
  const kinds = Array.from({ length: cols }, () => pick(['numeric', 'numeric', 'text', 'mixed', 'empty']));
  const missingRate = pick([0, 0, 0.1, 0.5]);
  const header = [...Array.from({ length: cols }, (_, j) => `c${j}`), 'label'];
  const rows = Array.from({ length: n }, () => [
    ...kinds.map((k) => {
      if (k === 'empty' || chance(missingRate)) return pick(MISSING_CELLS);
      if (k === 'numeric') return numberCell();
      if (k === 'text') return pick(WORDS.slice(0, int(1, WORDS.length)));
      return chance(0.5) ? numberCell() : pick(WORDS);
    }),
    pick(['yes', 'no', 'maybe', '1', '2', chance(0.02) ? '' : 'yes']),
  ]);
  const mutations: string[] = [];
  if (chance(0.05)) (mutations.push('duplicate header'), (header[0] = header[header.length > 2 ? 1 : 0]));
  if (chance(0.03)) (mutations.push('empty header'), (header[0] = ''));
  let lines = [header.map(quote), ...rows.map((r) => r.map(quote))].map((r) => r.join(','));
  if (chance(0.1)) {
    mutations.push('ragged row');
    const i = int(0, lines.length - 1);
    lines[i] = chance(0.5) ? lines[i] + ',extra' : lines[i].replace(/,[^,]*$/, '');
  }
  if (chance(0.08)) {
    mutations.push('broken quote');
    const i = int(1, lines.length - 1);
    lines[i] = lines[i].replace(/,/, ',"');
  }
  if (chance(0.08)) (mutations.push('blank lines'), lines.splice(int(1, lines.length), 0, '', ''));
  if (chance(0.08)) (mutations.push('whitespace'), (lines = lines.map((l) => l.replace(/,/g, ' , '))));
  if (chance(0.05)) {
    mutations.push('stray character');
    const i = int(0, lines.length - 1);
    const at = int(0, lines[i].length);
    lines[i] = lines[i].slice(0, at) + pick(['"', ';', '\t', '\u0000', '\\']) + lines[i].slice(at);
  }
  const eol = chance(0.1) ? (mutations.push('CRLF'), '\r\n') : chance(0.03) ? (mutations.push('CR'), '\r') : '\n';
  let text = lines.join(eol) + (chance(0.8) ? eol : '');
  if (chance(0.1)) (mutations.push('BOM'), (text = '\uFEFF' + text));
  if (chance(0.02)) (mutations.push('empty file'), (text = chance(0.5) ? '' : '\n\n'));
  let bytes = new TextEncoder().encode(text);
  if (chance(0.06) && bytes.length > 0) {
    mutations.push('invalid UTF-8');
    const at = int(0, bytes.length - 1);
    const bad = pick([[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]);
    bytes = Uint8Array.from([...bytes.subarray(0, at), ...bad, ...bytes.subarray(at)]);
  }
  return { bytes, mutations };
}

const missingSet = new Set(MISSING_SPELLINGS);
const isMissing = (s: string): boolean => missingSet.has(s.trim().toLowerCase());

/** Check a loaded table against the records csv-parse splits out of the same bytes. */
function checkLoad(bytes: Uint8Array, loaded: Awaited<ReturnType<typeof readCsvTable>>): void {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const records: string[][] = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true });
  const header = records[0].map((c, j) => (j === 0 ? c.replace(/^\uFEFF/, '').trim() : c));
  const data = records.slice(1);
  const ds = loaded.dataset;
  expect(ds.n).toBe(data.length);
  const labelAt = header.length - 1;
  for (let i = 0; i < ds.n; i++) expect(ds.classes[ds.y![i]]).toBe(data[i][labelAt]);
  if (loaded.layout === null) {
    expect(ds.featureNames).toEqual(header.slice(0, labelAt));
    for (let i = 0; i < ds.n; i++)
      for (let j = 0; j < ds.d; j++) {
        const want = Math.fround(Number(data[i][j]));
        expect(Number.isFinite(want), `plain table with cell "${data[i][j]}"`).toBe(true);
        expect(ds.x[i * ds.d + j]).toBe(want);
      }
    return;
  }
  const layout = loaded.layout;
  for (const col of layout.columns) {
    const j = header.indexOf(col.name);
    const f = ds.featureNames.indexOf(col.name);
    expect(j).toBeGreaterThanOrEqual(0);
    const cells = data.map((r) => r[j]);
    const present = cells.filter((c) => !isMissing(c));
    expect(present.length, `column ${col.name} kept with no value`).toBeGreaterThan(0);
    expect(col.kind).toBe(present.every((c) => Number.isFinite(Number(c))) ? 'numeric' : 'categorical');
    if (col.kind === 'categorical') expect(col.categories).toEqual([...new Set(present)].sort());
    for (let i = 0; i < ds.n; i++) {
      const v = ds.x[i * ds.d + f];
      const c = cells[i];
      if (isMissing(c)) expect(Number.isNaN(v), `missing "${c}"`).toBe(true);
      else if (col.kind === 'numeric') expect(v).toBe(Math.fround(Number(c)));
      else expect(col.categories[v]).toBe(c);
    }
  }
  // Every column not kept is recorded, all-missing ones as such.
  for (const name of header.slice(0, labelAt))
    if (!layout.columns.some((c) => c.name === name)) {
      const j = header.indexOf(name);
      expect(layout.ignored).toContainEqual({ name, reason: 'all-missing' });
      expect(data.every((r) => isMissing(r[j]))).toBe(true);
    }
  // Fit on every other row (a split), encode all: every encoded value finite.
  const train = Int32Array.from({ length: Math.ceil(ds.n / 2) }, (_, i) => 2 * i);
  let prep;
  try {
    prep = fitPreprocessing(ds, layout, train);
  } catch (e) {
    // Only if no column has a value in those rows, or encoded names collide: both SngpErrors.
    expect(e).toBeInstanceOf(SngpError);
    return;
  }
  const enc = encodeTable(ds, layout, prep);
  expect(enc.dataset.x.every(Number.isFinite)).toBe(true);
}

describe('fuzz: mutated CSV tables', () => {
  it(`${CASES} mutated tables: a correct load or one SngpError, never a crash, hang or wrong value`, async () => {
    const started = performance.now();
    const counts = { loaded: 0, plain: 0, sngpError: 0 };
    const byMutation: Record<string, number> = {};
    for (let k = 0; k < CASES; k++) {
      const c = makeCase();
      for (const m of c.mutations) byMutation[m] = (byMutation[m] ?? 0) + 1;
      const path = join(work, `case-${k % 16}.csv`);
      writeFileSync(path, c.bytes);
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`case ${k} hangs (mutations: ${c.mutations.join(', ')})`)), 10_000);
      });
      let result: Awaited<ReturnType<typeof readCsvTable>> | null = null;
      let error: unknown = null;
      try {
        result = await Promise.race([readCsvTable(path, { maxBytes: 1 << 26 }), hang]);
      } catch (e) {
        error = e;
      } finally {
        clearTimeout(timer);
      }
      if (error !== null) {
        if (!(error instanceof SngpError)) throw new Error(`case ${k} (${c.mutations.join(', ')}): not an SngpError: ${String((error as Error)?.stack ?? error)}`);
        expect((error as Error).message.split('\n')).toHaveLength(1);
        expect((error as Error).message).toContain(path); // names the file
        counts.sngpError++;
        continue;
      }
      try {
        checkLoad(c.bytes, result!);
      } catch (e) {
        throw new Error(`case ${k} (${c.mutations.join(', ') || 'no mutation'}) loaded wrongly: ${(e as Error).message}\n${new TextDecoder().decode(c.bytes).slice(0, 600)}`);
      }
      counts.loaded++;
      if (result!.layout === null) counts.plain++;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`csv-tables fuzz (seed ${SEED}): ${CASES} cases in ${seconds.toFixed(1)} s: ${counts.loaded} loaded (${counts.plain} plain numeric), ${counts.sngpError} SngpErrors; mutations ${JSON.stringify(byMutation)}`);
    expect(counts.loaded).toBeGreaterThan(CASES / 4);
    expect(counts.sngpError).toBeGreaterThan(0);
  }, 120_000);
});
