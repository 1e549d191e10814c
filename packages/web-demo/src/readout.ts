/** The readout box (what the plots show at the probed spot) and its short spoken summary. */

/** What the readout shows for one method at the probed spot: exactly the two plotted values. */
export interface PointReading {
  method: string;
  label: string;
  /** The shown class probabilities; null when the model is not available. */
  probs: number[] | null;
  /** p(class 0): the left plot's value. */
  p0?: number;
  /** The right plot's value: p(1 - p) (1 - max p for more classes), divided by its grid maximum when normalised. */
  uncertainty?: number;
  /** With the method's decisions view on: its prediction set and abstain flag there, e.g. "set {0}, abstain". */
  decision?: string;
  error?: string;
}

/**
 * A point's decisions in words.
 * @param labels - the prediction set's class names.
 * @param abstain - the abstain flag.
 * @returns e.g. "set {0}", "set {}, abstain".
 */
export function decisionText(labels: readonly string[], abstain: boolean): string {
  return `set {${labels.join(', ')}}${abstain ? ', abstain' : ''}`;
}

/**
 * The right plot's value at one point, as drawn.
 * @param probs - the point's class probabilities.
 * @param gridMax - the largest raw uncertainty over the grid (the normalising constant).
 * @param normalized - divide by `gridMax` as the normalised plot does.
 * @returns p(1 - p) for two classes, 1 - max p otherwise, maybe normalised.
 */
export function plottedUncertainty(probs: ArrayLike<number>, gridMax: number, normalized: boolean): number {
  let u: number;
  if (probs.length === 2) u = probs[0] * (1 - probs[0]);
  else u = 1 - Math.max(...Array.from(probs));
  return normalized && gridMax > 0 ? u / gridMax : u;
}

/**
 * Fill the readout box: one row per method with the two plotted values (null point: the hint).
 * Each row carries its full-precision values in data attributes (tests read them).
 * @param box - the readout container.
 * @param point - the probed spot, or null.
 * @param rows - one reading per method.
 * @param normalized - whether the uncertainty column is normalised (its header says so).
 */
export function renderReadout(box: HTMLElement, point: [number, number] | null, rows: PointReading[], normalized: boolean): void {
  box.replaceChildren();
  const title = document.createElement('div');
  title.className = 'where';
  title.textContent = point
    ? `at x₁ = ${point[0].toFixed(2)}, x₂ = ${point[1].toFixed(2)}`
    : 'Point at a plot (tap on touch screens, arrow keys on a focused plot) to read every method there.';
  box.append(title);
  box.dataset.state = point ? 'filled' : 'empty';
  if (!point) {
    delete box.dataset.x;
    delete box.dataset.y;
    return;
  }
  box.dataset.x = String(point[0]);
  box.dataset.y = String(point[1]);
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const h of ['method', 'p(class 0)', normalized ? 'p(1−p) / max' : 'p(1−p)']) {
    const th = document.createElement('th');
    th.textContent = h;
    th.scope = 'col';
    head.append(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.dataset.method = r.method;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = r.label;
    tr.append(th);
    if (r.p0 === undefined || r.uncertainty === undefined) {
      const td = tr.insertCell();
      td.colSpan = 2;
      td.textContent = r.error ? 'not available' : 'loading…';
      td.className = 'na';
      continue;
    }
    tr.dataset.p0 = String(r.p0);
    tr.dataset.uncertainty = String(r.uncertainty);
    tr.insertCell().textContent = r.p0.toFixed(3);
    const u = tr.insertCell();
    u.textContent = r.uncertainty.toFixed(3);
    if (r.decision) {
      tr.dataset.decision = r.decision;
      const d = document.createElement('div');
      d.className = 'decision';
      d.textContent = r.decision;
      u.append(d);
    }
  }
  box.append(table);
}

/**
 * One short sentence for screen readers about one method at a point (not the whole table).
 * @param point - the probed spot.
 * @param reading - the method's reading there.
 * @param normalized - the uncertainty's scale.
 * @returns e.g. "SNGP at 0.3, 0.2: class 0 probability 0.52, uncertainty 0.98 of the maximum."
 */
export function announcement(point: [number, number], reading: PointReading, normalized: boolean): string {
  const where = `${reading.label} at ${point[0].toFixed(1)}, ${point[1].toFixed(1)}`;
  if (reading.p0 === undefined || reading.uncertainty === undefined) return `${where}: not available.`;
  const u = normalized ? `${reading.uncertainty.toFixed(2)} of the maximum` : reading.uncertainty.toFixed(3);
  return `${where}: class 0 probability ${reading.p0.toFixed(2)}, uncertainty ${u}${reading.decision ? `, ${reading.decision}` : ''}.`;
}

/**
 * Throttle a text sink: the first message goes out at once, later ones at most every `ms`, and the
 * last one of a burst is never lost (polite live regions should not chatter).
 * @param sink - writes the text (e.g. into an aria-live region).
 * @param ms - minimum gap between two writes.
 * @returns the throttled function.
 */
export function throttleText(sink: (text: string) => void, ms: number): (text: string) => void {
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pending: string | null = null;
  const flush = () => {
    timer = null;
    if (pending === null) return;
    last = Date.now();
    sink(pending);
    pending = null;
  };
  return (text: string) => {
    pending = text;
    const wait = last + ms - Date.now();
    if (wait <= 0 && !timer) flush();
    else if (!timer) timer = setTimeout(flush, Math.max(0, wait));
  };
}
