/**
 * Class lists of `--classes` / `--ood-classes`: parsing, keeping only the rows of some classes (so
 * held-out classes of one labelled file can serve as the OOD set), and mapping a file's labels
 * onto a model's class names.
 */
import { type Dataset, SngpError } from '@sngp/core';

/**
 * Parse a comma-separated class list (`--classes 0,1,2`); names are trimmed.
 * @param value - the flag's value.
 * @param flag - the flag, for errors (e.g. `--classes`).
 * @returns the class names, in the order given.
 * @throws SngpError for an empty list, an empty name or a name given twice.
 */
export function parseClassList(value: string, flag: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.length === 0 || names.every((s) => s === '')) throw new SngpError(`${flag}: expected a comma-separated list of class names, got "${value}"`);
  const i = names.indexOf('');
  if (i >= 0) throw new SngpError(`${flag}: empty class name at position ${i + 1} of "${value}"`);
  const dup = names.find((s, j) => names.indexOf(s) !== j);
  if (dup !== undefined) throw new SngpError(`${flag}: class "${dup}" is listed twice in "${value}"`);
  return names;
}

/** A list of names for a one-line message: the first few, then how many more. */
export function listNames(names: readonly string[], max = 12): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, ... (${names.length} in all)`;
}

/**
 * The rows of `ds` whose label is one of `classes` (class names, as in `ds.classes`); labels keep
 * their indices into `ds.classes`.
 * @param ds - a labelled data set.
 * @param classes - the class names to keep.
 * @param flag - the flag, for errors.
 * @param source - where the labels come from, for errors (a file, or "file, column c").
 * @returns the kept rows.
 * @throws SngpError if `ds` has no labels or a listed class does not occur in it.
 */
export function keepClasses(ds: Dataset, classes: readonly string[], flag: string, source: string): Dataset {
  if (!ds.y) throw new SngpError(`${flag}: ${source} has no labels to select classes by`);
  const counts = new Array<number>(ds.classes.length).fill(0);
  for (let i = 0; i < ds.n; i++) counts[ds.y[i]]++;
  const present = ds.classes.filter((_, c) => counts[c] > 0);
  const keep = new Set<number>();
  for (const name of classes) {
    const c = ds.classes.indexOf(name);
    if (c < 0 || counts[c] === 0)
      throw new SngpError(`${flag}: class "${name}" does not occur in ${source} (its classes: ${listNames(present)})`);
    keep.add(c);
  }
  let n = 0;
  for (let i = 0; i < ds.n; i++) if (keep.has(ds.y[i])) n++;
  const x = new Float32Array(n * ds.d);
  const y = new Int32Array(n);
  for (let i = 0, r = 0; i < ds.n; i++) {
    if (!keep.has(ds.y[i])) continue;
    x.set(ds.x.subarray(i * ds.d, (i + 1) * ds.d), r * ds.d);
    y[r++] = ds.y[i];
  }
  return { ...ds, x, y, n };
}

/**
 * Relabel `ds` with the model's class indices, matching class names. Every label that occurs must
 * be one of the model's classes.
 * @param ds - a labelled data set (labels index `ds.classes`).
 * @param modelClasses - the model's class names.
 * @param source - names the data in errors.
 * @param model - names the model in errors.
 * @param selected - whether `--classes` chose the rows (changes the advice in the error).
 * @returns the data set with `classes` = the model's and `y` indexing them.
 * @throws SngpError naming the first label the model does not know and how to leave it out.
 */
export function mapOntoModelClasses(
  ds: Dataset,
  modelClasses: readonly string[],
  source: string,
  model: string,
  selected: boolean,
): Dataset {
  if (!ds.y) throw new SngpError(`${source}: the in-domain data needs labels`);
  const index = ds.classes.map((c) => modelClasses.indexOf(c));
  const y = new Int32Array(ds.n);
  for (let i = 0; i < ds.n; i++) {
    const c = index[ds.y[i]];
    if (c < 0) {
      const label = ds.classes[ds.y[i]];
      const known = modelClasses.join(',');
      throw new SngpError(
        selected
          ? `--classes: class "${label}" is not one of the classes of model ${model} [${listNames(modelClasses)}]; list only those (e.g. --classes ${known})`
          : `${source}: label "${label}" is not one of the classes of model ${model} [${listNames(modelClasses)}]; ` +
              `keep only the model's classes with --classes ${known} (held-out classes can be the OOD set: --ood <file> --ood-classes ...)`,
      );
    }
    y[i] = c;
  }
  return { ...ds, y, classes: [...modelClasses] };
}
