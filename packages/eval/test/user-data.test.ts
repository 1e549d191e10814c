import { SngpError, type Dataset } from '@sngp/core';
import { describe, expect, it } from 'vitest';
import { keepClasses, mapOntoModelClasses, parseClassList } from '../src/classes.js';
import { checkDataOptions, oodCsvColumns } from '../src/user-data.js';

const ds: Dataset = {
  x: Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]),
  y: Int32Array.from([0, 2, 1, 2, 0]),
  n: 5,
  d: 2,
  featureNames: ['a', 'b'],
  classes: ['cat', 'dog', 'owl'],
};

describe('class lists', () => {
  it('parses a comma-separated list and refuses empty or repeated names', () => {
    expect(parseClassList(' 0, 1 ,2', '--classes')).toEqual(['0', '1', '2']);
    expect(() => parseClassList('0,,1', '--classes')).toThrow('--classes: empty class name at position 2 of "0,,1"');
    expect(() => parseClassList('', '--classes')).toThrow(/expected a comma-separated list/);
    expect(() => parseClassList('a,b,a', '--ood-classes')).toThrow('--ood-classes: class "a" is listed twice in "a,b,a"');
  });

  it('keeps the rows of the listed classes, labels unchanged', () => {
    const k = keepClasses(ds, ['owl', 'cat'], '--classes', 'f.csv');
    expect(k.n).toBe(4);
    expect(Array.from(k.x)).toEqual([0, 0, 1, 1, 3, 3, 4, 4]);
    expect(Array.from(k.y!)).toEqual([0, 2, 2, 0]);
    expect(() => keepClasses(ds, ['emu'], '--classes', 'f.csv')).toThrow('--classes: class "emu" does not occur in f.csv (its classes: cat, dog, owl)');
    expect(() => keepClasses({ ...ds, y: undefined }, ['cat'], '--ood-classes', 'o.csv')).toThrow(SngpError);
  });

  it("maps labels onto the model's classes by name", () => {
    const m = mapOntoModelClasses(ds, ['owl', 'dog', 'cat', 'bee'], 'f.csv', 'm.onnx', false);
    expect(Array.from(m.y!)).toEqual([2, 0, 1, 0, 2]);
    expect(m.classes).toEqual(['owl', 'dog', 'cat', 'bee']);
    expect(() => mapOntoModelClasses(ds, ['cat', 'dog'], 'f.csv', 'm.onnx', false)).toThrow(
      /^f\.csv: label "owl" is not one of the classes of model m\.onnx \[cat, dog\]; keep only the model's classes with --classes cat,dog/,
    );
    expect(() => mapOntoModelClasses(ds, ['cat', 'dog'], 'f.csv', 'm.onnx', true)).toThrow(/^--classes: class "owl" is not one of the classes of model m\.onnx/);
  });
});

describe('OOD CSV layout', () => {
  const features = ['x', 'y'];
  it('matches feature columns by name in any order; one other column is the label', () => {
    expect(oodCsvColumns(['y', 'x'], features, undefined, 'o.csv', 'm')).toEqual({ features: [1, 0], label: null, byPosition: false });
    expect(oodCsvColumns(['kind', 'y', 'x'], features, undefined, 'o.csv', 'm')).toEqual({ features: [2, 1], label: 0, byPosition: false });
    expect(oodCsvColumns(['x', 'b', 'y'], features, 'b', 'o.csv', 'm')).toEqual({ features: [0, 2], label: 1, byPosition: false });
    expect(() => oodCsvColumns(['x', 'y', 'a', 'b'], features, 'b', 'o.csv', 'm')).toThrow('o.csv: column(s) a are not features of model m; remove them');
    expect(() => oodCsvColumns(['x', 'y', 'a', 'b'], features, undefined, 'o.csv', 'm')).toThrow(
      'o.csv: column(s) a, b are not features of model m and more than one label column; remove them, or name the label column with --ood-label-column',
    );
  });

  it('falls back to positions when the names differ: D columns, or D + 1 with the label last', () => {
    expect(oodCsvColumns(['f1', 'f2'], features, undefined, 'o.csv', 'm')).toEqual({ features: [0, 1], label: null, byPosition: true });
    expect(oodCsvColumns(['f1', 'f2', 'c'], features, undefined, 'o.csv', 'm')).toEqual({ features: [0, 1], label: 2, byPosition: true });
    expect(() => oodCsvColumns(['a', 'b', 'c', 'd'], features, undefined, 'o.csv', 'm')).toThrow(
      'o.csv: OOD data has 4 column(s) (a, b, c, d), but model m expects 2 feature column(s) (x, y) plus an optional label column',
    );
    expect(() => oodCsvColumns(['x', 'y'], features, 'label', 'o.csv', 'm')).toThrow('o.csv: --ood-label-column "label" not found (columns: x, y)');
  });
});

describe('data flags', () => {
  it('accept the documented combinations', () => {
    expect(() => checkDataOptions({ data: 'moons' })).not.toThrow();
    expect(() => checkDataOptions({ data: 'a.idx.gz', labels: 'l.idx', classes: ['0'], ood: 'a.idx.gz', oodLabels: 'l.idx', oodClasses: ['1'] })).not.toThrow();
    expect(() => checkDataOptions({ data: 't.csv', labelColumn: 'c', ood: 'o.csv', oodLabelColumn: 'k', oodClasses: ['x'] })).not.toThrow();
    expect(() => checkDataOptions({ data: 'moons', ood: 'o-ubyte' })).not.toThrow();
  });

  it.each([
    [{ data: 'a-ubyte' }, /IDX images need their labels: add --labels/],
    [{ data: 'moons', labels: 'l.idx' }, /--labels is for IDX images .*"moons"|--labels is for IDX images .*has its own labels/],
    [{ data: 'a.idx', labels: 'l.idx', labelColumn: 'c' }, /--label-column is for a CSV --data file; IDX images take their labels from --labels/],
    [{ data: 'moons', oodLabels: 'l.idx' }, /--ood-labels needs --ood <file>/],
    [{ data: 'moons', ood: 'o.csv', oodLabels: 'l.idx' }, /--ood-labels is for IDX images/],
    [{ data: 'moons', ood: 'o.idx', oodLabelColumn: 'c' }, /--ood-label-column is for a CSV --ood file/],
    [{ data: 'moons', ood: 'o.idx', oodClasses: ['1'] }, /--ood-classes: the IDX images of --ood o\.idx need their labels: add --ood-labels/],
  ])('refuses %j', (o, message) => {
    expect(() => checkDataOptions(o)).toThrow(message);
  });
});
