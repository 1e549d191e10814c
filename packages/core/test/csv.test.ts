import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvTableBuilder, SngpError, parseCsv } from '../src/index.js';
import { loadCsvFile, readCsvFile } from '../src/node.js';

const dir = mkdtempSync(join(tmpdir(), 'csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('parseCsv', () => {
  it('reads numeric features and string labels, classes sorted', () => {
    const ds = parseCsv('a,b,species\n1,2,setosa\n3,4.5,virginica\n-1,0,setosa\n');
    expect(ds.featureNames).toEqual(['a', 'b']);
    expect(ds.classes).toEqual(['setosa', 'virginica']);
    expect([...ds.y!]).toEqual([0, 1, 0]);
    expect([...ds.x]).toEqual([1, 2, 3, 4.5, -1, 0]);
  });

  it('takes a named label column anywhere and sorts numeric labels numerically', () => {
    const ds = parseCsv('label,x\n10,1\n9,2\n', { labelColumn: 'label' });
    expect(ds.featureNames).toEqual(['x']);
    expect(ds.classes).toEqual(['9', '10']);
    expect([...ds.y!]).toEqual([1, 0]);
  });

  it.each([
    ['', /empty/],
    ['\uFEFF\n', /empty/],
    ['a,b\n', /no data rows/],
    ['a,b,c\n1,2,x\n3,y\n', /row 3 has 2 fields, expected 3/],
    ['a,b,c\n1,oops,x\n', /row 2, column "b": expected a finite number, got "oops"/],
    ['a,b,c\n1,,x\n', /row 2, column "b": expected a finite number, got ""; fill in or drop rows with missing values/],
    ['a,b,a\n1,2,x\n', /duplicate column name "a" \(columns 1 and 3\); rename one of them/],
    ['a,b,label\n1,2,x\n3,4,\n', /row 3: empty label in column "label"; fill it in or drop the row/],
    ['a,b,label\n1,2,x\n3,4,"\n', /f\.csv: Quote Not Closed/],
  ])('rejects bad input %#', (text, msg) => {
    expect(() => parseCsv(text, { source: 'f.csv' })).toThrow(SngpError);
    expect(() => parseCsv(text, { source: 'f.csv' })).toThrow(msg);
  });

  it('suggests --label-column when a text column fails on the first row', () => {
    expect(() => parseCsv('species,x\nsetosa,1\n', { source: 'f.csv' })).toThrow(
      /row 2, column "species": expected a finite number, got "setosa"; if "species" holds the labels, name it with --label-column/,
    );
    // A stray bad value further down is a data error, not a label column: no hint then.
    expect(() => parseCsv('a,c\n1,x\nbad,y\n', { source: 'f.csv' })).toThrow(/row 3, column "a": expected a finite number, got "bad"$/);
  });

  it('names a missing label column and the columns there are', () => {
    expect(() => parseCsv('a,b\n1,2\n', { labelColumn: 'y' })).toThrow(/label column "y" not found \(columns: a, b\)/);
  });

  it('maps labels onto given classes and rejects unknown ones', () => {
    expect([...parseCsv('x,c\n1,b\n', { classes: ['a', 'b'] }).y!]).toEqual([1]);
    expect(() => parseCsv('x,c\n1,z\n', { classes: ['a', 'b'] })).toThrow(/label "z" is not one of/);
  });

  it('strips a UTF-8 BOM from the first column name', () => {
    const ds = parseCsv('\uFEFFwidth,label\n1,a\n2,b\n');
    expect(ds.featureNames).toEqual(['width']);
    expect(parseCsv('\uFEFFlabel,x\n1,2\n3,4\n', { labelColumn: 'label' }).classes).toEqual(['1', '3']);
  });

  it('numbers rows by file line, past blank lines and CRLF line ends', () => {
    expect(() => parseCsv('a,b\r\n1,x\r\n\r\n\r\nbad,y\r\n', { source: 'f.csv' })).toThrow(/row 5, column "a"/);
  });

  it('reads quoted cells with commas and line breaks in labels', () => {
    const ds = parseCsv('x,label\n1,"a, b"\n2,"two\nlines"\n3,"a, b"\n');
    expect(ds.n).toBe(3);
    expect(ds.classes).toEqual(['a, b', 'two\nlines']);
    expect([...ds.y!]).toEqual([0, 1, 0]);
    expect([...ds.x]).toEqual([1, 2, 3]);
  });
});

describe('CsvTableBuilder', () => {
  it('grows its arrays when it has no row estimate, and keeps each label string once', () => {
    const b = new CsvTableBuilder({ source: 's' });
    b.record(['f0', 'f1', 'label'], 1);
    for (let i = 0; i < 5000; i++) b.record([String(i), String(-i), i % 3 === 0 ? 'c' : 'a'], i + 2);
    const ds = b.finish();
    expect(ds.n).toBe(5000);
    expect(ds.x.length).toBe(10000);
    expect(ds.x[2 * 4999]).toBe(4999);
    expect(ds.x[2 * 4999 + 1]).toBe(-4999);
    expect(ds.classes).toEqual(['a', 'c']);
    expect(ds.y![0]).toBe(1);
    expect(ds.y![1]).toBe(0);
  });

  it('names rows, features and bytes when the data does not fit', () => {
    const b = new CsvTableBuilder({ source: 'big.csv', expectedRows: 30_000_000, maxBytes: 100 * 2 ** 20 });
    expect(() => b.record(['a', 'b', 'c', 'd', 'e', 'f'], 1)).toThrow(
      /big\.csv: 30000000 rows x 5 features x 4 bytes = 572\.2 MB of float32 features \(686\.6 MB with labels\) do not fit in the 100\.0 MB of memory available; use a sample/,
    );
  });

  it('names the size when a typed array cannot hold the data', () => {
    const b = new CsvTableBuilder({ source: 'huge.csv', expectedRows: 2 ** 31, maxBytes: Infinity });
    expect(() => b.record(['a', 'b', 'c', 'd', 'e', 'f'], 1)).toThrow(/huge\.csv: 2147483648 rows x 5 features .*exceed what one typed array can hold/);
  });
});

describe('readCsvFile (streaming)', () => {
  it('gives the same data set as parseCsv, over many read chunks, with multi-byte labels across chunk edges', async () => {
    // ~3 MB: three 1 MB reads; multi-byte labels land on the chunk edges somewhere.
    const labels = ['café', 'naïve', '日本', 'x'];
    const lines = ['f1,f2,f3,label'];
    for (let i = 0; i < 90_000; i++) lines.push(`${i * 0.5},${-i},${(i % 97) / 7},${labels[i % 4]}`);
    const text = '\uFEFF' + lines.join('\n') + '\n';
    const p = file('big.csv', text);
    const streamed = await readCsvFile(p);
    const parsed = parseCsv(text);
    expect(streamed.n).toBe(90_000);
    expect(streamed.featureNames).toEqual(['f1', 'f2', 'f3']);
    expect(streamed.classes).toEqual(parsed.classes);
    expect([...streamed.classes].sort()).toEqual([...labels].sort());
    expect(Buffer.from(streamed.x.buffer, streamed.x.byteOffset, streamed.x.byteLength).equals(Buffer.from(parsed.x.buffer, parsed.x.byteOffset, parsed.x.byteLength))).toBe(true);
    expect([...streamed.y!]).toEqual([...parsed.y!]);
    expect(streamed.x[3 * 89_999 + 1]).toBe(-89_999);
    expect(streamed.classes[streamed.y![2]]).toBe('日本');
  });

  it('reads a file without a final line break, with blank lines, and maps onto given classes', async () => {
    const p = file('tail.csv', 'x,y,c\n1,2,b\n\n3,4,a');
    const ds = await readCsvFile(p, { classes: ['a', 'b', 'z'] });
    expect(ds.n).toBe(2);
    expect([...ds.y!]).toEqual([1, 0]);
    expect(ds.classes).toEqual(['a', 'b', 'z']);
    expect([...ds.x]).toEqual([1, 2, 3, 4]);
  });

  it('rejects invalid UTF-8 naming the file, byte and row', async () => {
    const head = Buffer.from('a,b,label\n1,2,x\n3,4,y\n5,6,');
    const bad = Buffer.concat([head, Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from('\n7,8,x\n')]); // latin1 "café"
    const p = file('latin1.csv', bad);
    await expect(readCsvFile(p)).rejects.toThrow(SngpError);
    await expect(readCsvFile(p)).rejects.toThrow(
      new RegExp(`latin1\\.csv: invalid UTF-8 at byte ${head.length + 3} \\(row 4\\); save the file as UTF-8 \\(e\\.g\\. iconv`),
    );
  });

  it('locates invalid UTF-8 past the first read chunk, and an incomplete character at the end', async () => {
    const rows = ['a,label'];
    for (let i = 0; i < 200_000; i++) rows.push(`${i},é`);
    const good = Buffer.from(rows.join('\n') + '\n');
    const bad = Buffer.concat([good, Buffer.from([0x31, 0x2c, 0xc3, 0x28, 0x0a])]); // "1,\xC3(" : bad continuation
    const p = file('late.csv', bad);
    await expect(readCsvFile(p)).rejects.toThrow(new RegExp(`invalid UTF-8 at byte ${good.length + 2} \\(row 200002\\)`));
    const cut = file('cut.csv', Buffer.concat([good, Buffer.from([0x31, 0x2c, 0xe6, 0x97])])); // "1,\xE6\x97" then EOF
    await expect(readCsvFile(cut)).rejects.toThrow(new RegExp(`invalid UTF-8 at byte ${good.length + 2} \\(an incomplete character at the end`));
  });

  it('reports the same row errors as parseCsv, and names missing, empty and directory paths', async () => {
    await expect(readCsvFile(file('ragged.csv', 'a,b,c\n1,2,x\n3,y\n'))).rejects.toThrow(/ragged\.csv: row 3 has 2 fields, expected 3/);
    await expect(readCsvFile(file('dup.csv', 'a,a,c\n1,2,x\n'))).rejects.toThrow(/dup\.csv: duplicate column name "a"/);
    await expect(readCsvFile(file('nolabel.csv', 'a,c\n1,x\n2,\n'))).rejects.toThrow(/nolabel\.csv: row 3: empty label in column "c"/);
    await expect(readCsvFile(file('quote.csv', 'a,c\n1,"x\n'))).rejects.toThrow(/quote\.csv: Quote Not Closed/);
    await expect(readCsvFile(file('empty.csv', ''))).rejects.toThrow(/empty\.csv: file is empty/);
    await expect(readCsvFile(join(dir, 'nope.csv'))).rejects.toThrow(/nope\.csv: file does not exist/);
    mkdirSync(join(dir, 'folder.csv'));
    await expect(readCsvFile(join(dir, 'folder.csv'))).rejects.toThrow(/folder\.csv: is a directory/);
  });

  it('checks the size against the memory limit before parsing, naming rows, features and bytes', async () => {
    const lines = ['a,b,c,label'];
    for (let i = 0; i < 1000; i++) lines.push(`${i},${i},${i},k${i % 2}`);
    const p = file('limit.csv', lines.join('\n') + '\n');
    await expect(readCsvFile(p, { maxBytes: 10_000 })).rejects.toThrow(
      /limit\.csv: 1000 rows x 3 features x 4 bytes = 11\.7 KB of float32 features \(15\.6 KB with labels\) do not fit in the 9\.8 KB of memory available/,
    );
    expect((await readCsvFile(p, { maxBytes: 20_000 })).n).toBe(1000);
  });
});

describe('loadCsvFile', () => {
  it('loads files and names missing ones', () => {
    const p = file('d.csv', 'x,y\n1,a\n2,b\n');
    expect(loadCsvFile(p).n).toBe(2);
    expect(() => loadCsvFile(join(dir, 'nope.csv'))).toThrow(/nope.csv: file does not exist/);
  });
});
