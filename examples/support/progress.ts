/**
 * Training progress on the terminal: a cli-progress bar per epoch (step,
 * loss, ETA) when stdout is a terminal, else one plain line per epoch, so
 * logs stay readable.
 */
import { SingleBar } from 'cli-progress';

/** One finished epoch. */
export interface EpochReport {
  epoch: number;
  meanLoss: number;
  accuracy: number;
  seconds: number;
}

/** The progress of a training run of `epochs` epochs of `steps` steps each. */
export class TrainingProgress {
  private bar: SingleBar | undefined;
  private value = 0;

  constructor(
    private readonly epochs: number,
    private readonly steps: number,
    private readonly stream: NodeJS.WriteStream = process.stdout,
  ) {}

  /** Starts an epoch's bar (on a terminal). */
  startEpoch(epoch: number): void {
    if (!this.stream.isTTY) return;
    this.value = 0;
    this.bar = new SingleBar({
      stream: this.stream,
      format: `epoch ${epoch}/${this.epochs} [{bar}] {value}/{total} | loss {loss} | test acc {accuracy} | ETA {eta_formatted}`,
      barsize: 30,
      hideCursor: true,
    });
    this.bar.start(this.steps, 0, { loss: '-', accuracy: '-' });
  }

  /** Counts a step and shows its loss. */
  step(loss: number): void {
    this.value++;
    this.bar?.update(this.value, { loss: loss.toFixed(4) });
  }

  /** Ends an epoch: the bar shows the test accuracy, or one line is printed. */
  endEpoch(report: EpochReport): void {
    const { epoch, meanLoss, accuracy, seconds } = report;
    if (this.bar !== undefined) {
      this.bar.update(this.steps, {
        loss: meanLoss.toFixed(4),
        accuracy: `${accuracy.toFixed(4)} (${seconds.toFixed(1)}s)`,
      });
      this.bar.stop();
      this.bar = undefined;
      return;
    }
    this.stream.write(
      `epoch ${epoch}/${this.epochs}: mean loss ${meanLoss.toFixed(4)}, test accuracy ${accuracy.toFixed(4)}, ${seconds.toFixed(1)}s\n`,
    );
  }
}
