/** Training progress on stderr: a bar with loss and accuracy on a terminal, else one line per epoch. */
import cliProgress from 'cli-progress';
import type { EpochStats } from './trainer.js';

export interface Progress {
  epoch(s: EpochStats): void;
  stop(): void;
}

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
    return {
      epoch: (s) => bar.update(s.epoch, { loss: s.loss.toFixed(4), acc: s.accuracy.toFixed(4), ms: s.msPerStep.toFixed(1) }),
      stop: () => bar.stop(),
    };
  }
  return {
    epoch: (s) =>
      stream.write(
        `epoch ${s.epoch}/${s.epochs} loss ${s.loss.toFixed(4)} accuracy ${s.accuracy.toFixed(4)} (${s.msPerStep.toFixed(1)} ms/step)\n`,
      ),
    stop: () => {},
  };
}
