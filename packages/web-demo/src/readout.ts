/** What the readout box shows for one method at the pointed-at spot. */
export interface PointReading {
  label: string;
  probs: number[] | null;
  /** 1 - max_k p. */
  uncertainty?: number;
  /** SNGP posterior variance. */
  variance?: number;
  error?: string;
}

/** Fill the readout box: one row per method, p(class k), uncertainty and (SNGP) variance. */
export function renderReadout(box: HTMLElement, point: [number, number] | null, classes: string[], rows: PointReading[]): void {
  box.replaceChildren();
  const title = document.createElement('div');
  title.className = 'where';
  title.textContent = point ? `x = ${point[0].toFixed(3)}, y = ${point[1].toFixed(3)}` : 'Point at a plot to read every method there.';
  box.append(title);
  if (!point) return;
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const h of ['method', ...classes.map((c) => `p(${c})`), '1 − max p', 'variance']) {
    const th = document.createElement('th');
    th.textContent = h;
    head.append(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.insertCell().textContent = r.label;
    if (!r.probs) {
      const td = tr.insertCell();
      td.colSpan = classes.length + 2;
      td.textContent = r.error ?? 'unavailable';
      td.className = 'na';
      continue;
    }
    for (const p of r.probs) tr.insertCell().textContent = p.toFixed(4);
    tr.insertCell().textContent = r.uncertainty === undefined ? '' : r.uncertainty.toFixed(4);
    tr.insertCell().textContent = r.variance === undefined ? '' : r.variance.toFixed(4);
  }
  box.append(table);
}
