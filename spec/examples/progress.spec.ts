/** Training progress: a bar on a terminal, one line per epoch elsewhere. */
import { TrainingProgress } from '../../examples/support/progress.js';

/** A stand-in for stdout that records what is written to it. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const stream = {
    isTTY,
    columns: 200,
    text: '',
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
  };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}

/** Two epochs of three steps. */
function run(stream: NodeJS.WriteStream): void {
  const progress = new TrainingProgress(2, 3, stream);
  for (const epoch of [1, 2]) {
    progress.startEpoch(epoch);
    for (const loss of [0.9, 0.5, 0.25]) progress.step(loss);
    progress.endEpoch({ epoch, meanLoss: 0.55, accuracy: 0.91234, seconds: 1.25 });
  }
}

describe('TrainingProgress', () => {
  it('prints one line per epoch when stdout is not a terminal', () => {
    const stream = fakeStream(false);
    run(stream);
    expect(stream.text).toBe(
      'epoch 1/2: mean loss 0.5500, test accuracy 0.9123, 1.3s\nepoch 2/2: mean loss 0.5500, test accuracy 0.9123, 1.3s\n',
    );
  });

  it('draws a bar with step, loss, ETA and, at the end, the test accuracy on a terminal', () => {
    const stream = fakeStream(true);
    run(stream);
    expect(stream.text).toContain('epoch 1/2 [');
    expect(stream.text).toContain('] 0/3 | loss - | test acc - | ETA');
    expect(stream.text).toContain('] 3/3 | loss 0.5500 | test acc 0.9123 (1.3s) | ETA 0s');
    expect(stream.text).toContain('epoch 2/2 [');
    expect(stream.text).not.toContain('mean loss');
  });
});
