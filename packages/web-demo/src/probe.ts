/**
 * The probe: one spot shared by every plot, moved by the mouse, a tap or the arrow keys. Only the
 * newest spot is ever shown: a result that comes back after the spot moved or was cleared is
 * dropped, and clearing is synchronous (no inference to wait for).
 */
import { EXTENT } from './surface.js';

/** What the probe needs from the page. */
export interface ProbeHost<R> {
  /** Draw the crosshair on every plot (null clears it). */
  mark(point: [number, number] | null): void;
  /** Live inference at a spot. */
  evaluate(point: [number, number]): Promise<R>;
  /** Show a result (null point: the empty readout). */
  render(point: [number, number] | null, result: R | null): void;
}

/** Keeps data coordinates inside the plotted window. */
function clampToExtent([x, y]: [number, number]): [number, number] {
  const c = (v: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, v));
  return [c(x, EXTENT.x), c(y, EXTENT.y)];
}

/** The shared probe; see the file comment. */
export class Probe<R> {
  /** The spot shown (or being evaluated), null when cleared. */
  point: [number, number] | null = null;
  /** A tap pinned the spot: the pointer leaving does not clear it. */
  pinned = false;
  private seq = 0;
  private busy = false;
  private pending = false;

  constructor(private readonly host: ProbeHost<R>) {}

  /** Mouse or pen over a plot (null: outside its axes, which clears unless pinned). */
  hover(point: [number, number] | null): void {
    if (this.pinned) return;
    this.set(point);
  }

  /** The pointer left a plot. */
  leave(): void {
    if (!this.pinned) this.set(null);
  }

  /** A tap pins the spot; a tap outside the axes unpins and clears. */
  tap(point: [number, number] | null): void {
    this.pinned = point !== null;
    this.set(point);
  }

  /** Arrow keys: move from the current spot (the grid's centre if none). */
  step(dx: number, dy: number): void {
    const [x, y] = this.point ?? [0, 0];
    this.set(clampToExtent([x + dx, y + dy]));
  }

  /** Focus arrived: show the current spot, or start at the centre. */
  focus(): void {
    if (!this.point) this.set([0, 0]);
  }

  /** Clear the probe and unpin. */
  clear(): void {
    this.pinned = false;
    this.set(null);
  }

  /** Re-evaluate the current spot (the numbers behind it changed, e.g. lambda). */
  refresh(): void {
    if (this.point) this.set(this.point);
  }

  /** Move to a spot (null clears at once); results for older spots are dropped. */
  set(point: [number, number] | null): void {
    this.point = point;
    this.seq++;
    this.host.mark(point);
    if (!point) {
      this.host.render(null, null);
      return;
    }
    this.pending = true;
    if (!this.busy) void this.loop();
  }

  private async loop(): Promise<void> {
    this.busy = true;
    try {
      while (this.pending && this.point) {
        this.pending = false;
        const seq = this.seq;
        const point = this.point;
        let result: R;
        try {
          result = await this.host.evaluate(point);
        } catch (e) {
          console.error('probe:', e);
          continue;
        }
        // Late: the spot moved or was cleared while this ran.
        if (seq === this.seq) this.host.render(point, result);
      }
    } finally {
      this.busy = false;
    }
  }
}
