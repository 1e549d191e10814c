/**
 * Training progress on stderr: a bar with loss and accuracy on a terminal, else one line per epoch;
 * then (SNGP) the precision pass over the training data, as a bar or a few lines.
 */
import cliProgress from 'cli-progress';
import type { EpochStats } from '../fitting/trainer.js';

/** What the CLI reports during training. */
export interface Progress {
  /**
   * Report a finished epoch.
   * @param s - the epoch's number, loss, accuracy and ms per step.
   */
  epoch(s: EpochStats): void;
  /**
   * SNGP's precision pass after the last epoch: rows done of the total. The first call ends the
   * epoch bar.
   * @param rowsDone - training rows processed so far.
   * @param rowsTotal - training rows of the whole pass.
   */
  posterior(rowsDone: number, rowsTotal: number): void;
  /** End the display (stops the bar on a terminal; nothing otherwise). Call once, at the end. */
  stop(): void;
}

/** Seconds between two plain-text precision-pass lines when stderr is not a terminal. */
const LINE_EVERY_S = 10;

/**
 * Epoch progress (then the precision pass) on `stream`: a bar on a terminal, else plain lines
 * (one per epoch; a precision-pass line at most every 10 s, and at the end).
 * @param total - epochs of the run.
 * @param stream - where to write; default `process.stderr`. A bar when `stream.isTTY`.
 * @returns the reporter; call its `stop()` when training ends.
 */
export function createProgress(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'epoch {value}/{total} [{bar}] loss {loss} acc {acc} | {ms} ms/step | eta {eta_formatted}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { loss: '-', acc: '-', ms: '-' });
    let pass: cliProgress.SingleBar | null = null;
    return {
      epoch: (s) => bar.update(s.epoch, { loss: s.loss.toFixed(4), acc: s.accuracy.toFixed(4), ms: s.msPerStep.toFixed(1) }),
      posterior: (done, rows) => {
        if (!pass) {
          bar.stop();
          pass = new cliProgress.SingleBar(
            { stream, format: 'precision pass [{bar}] {value}/{total} rows | eta {eta_formatted}', hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          pass.start(rows, 0);
        }
        pass.update(done);
      },
      stop: () => (pass ?? bar).stop(),
    };
  }
  let lastLine = 0;
  return {
    epoch: (s) =>
      stream.write(
        `epoch ${s.epoch}/${s.epochs} loss ${s.loss.toFixed(4)} accuracy ${s.accuracy.toFixed(4)} (${s.msPerStep.toFixed(1)} ms/step)\n`,
      ),
    posterior: (done, rows) => {
      const now = performance.now() / 1000;
      if (done < rows && now - lastLine < LINE_EVERY_S) return;
      lastLine = now;
      stream.write(`precision pass ${done}/${rows} rows\n`);
    },
    stop: () => {},
  };
}

/** Progress of reading a data file, for `TrainHooks.onLoad`. */
export interface LoadProgress {
  /**
   * Report the bytes read so far.
   * @param bytesRead - bytes of the file read so far.
   * @param bytesTotal - the file's size in bytes.
   */
  update(bytesRead: number, bytesTotal: number): void;
  /** End the display (stops a bar if one was shown). Call once loading is done or has failed. */
  stop(): void;
}

/** Files smaller than this load in about a second: no bar for them. */
const BAR_MIN_BYTES = 32 * 2 ** 20;

/**
 * Loading progress on stderr: a bar on a terminal (files of 32 MB and more), else a line every 10 s
 * (so small files print nothing).
 * @param file - the file's path, shown in the bar or line.
 * @param stream - where to write; default `process.stderr`. A bar when `stream.isTTY`.
 * @returns the reporter, to pass its `update` as `TrainHooks.onLoad`.
 */
export function createLoadProgress(file: string, stream: NodeJS.WriteStream = process.stderr): LoadProgress {
  const started = performance.now() / 1000;
  let bar: cliProgress.SingleBar | null = null;
  let lastLine = started;
  const mb = (b: number): string => (b / 2 ** 20).toFixed(0);
  return {
    update: (done, total) => {
      if (stream.isTTY) {
        if (!bar && total >= BAR_MIN_BYTES) {
          bar = new cliProgress.SingleBar(
            { stream, format: `loading ${file} [{bar}] {percentage}% | {value}/{total} MB | eta {eta_formatted}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Number(mb(total)), 0);
        }
        bar?.update(Number(mb(done)));
        return;
      }
      const now = performance.now() / 1000;
      if (now - lastLine < LINE_EVERY_S) return;
      lastLine = now;
      stream.write(`loading ${file}: ${((100 * done) / total).toFixed(0)}% (${mb(done)} of ${mb(total)} MB, ${(now - started).toFixed(0)} s)\n`);
    },
    stop: () => {
      bar?.stop();
      bar = null;
    },
  };
}
