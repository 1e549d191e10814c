import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SngpError, parseCsv } from '../src/index.js';
import { loadCsvFile } from '../src/node.js';

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
    ['a,b\n', /no data rows/],
    ['a,b,c\n1,2,x\n3,y\n', /row 3 has 2 fields, expected 3/],
    ['a,b,c\n1,oops,x\n', /row 2, column "b": expected a finite number, got "oops"/],
  ])('rejects bad input %#', (text, msg) => {
    expect(() => parseCsv(text, { source: 'f.csv' })).toThrow(SngpError);
    expect(() => parseCsv(text, { source: 'f.csv' })).toThrow(msg);
  });

  it('names a missing label column and the columns there are', () => {
    expect(() => parseCsv('a,b\n1,2\n', { labelColumn: 'y' })).toThrow(/label column "y" not found \(columns: a, b\)/);
  });

  it('maps labels onto given classes and rejects unknown ones', () => {
    expect([...parseCsv('x,c\n1,b\n', { classes: ['a', 'b'] }).y!]).toEqual([1]);
    expect(() => parseCsv('x,c\n1,z\n', { classes: ['a', 'b'] })).toThrow(/label "z" is not one of/);
  });

  it('loads files and names missing ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csv-'));
    const p = join(dir, 'd.csv');
    writeFileSync(p, 'x,y\n1,a\n2,b\n');
    expect(loadCsvFile(p).n).toBe(2);
    expect(() => loadCsvFile(join(dir, 'nope.csv'))).toThrow(/nope.csv: file does not exist/);
  });
});
