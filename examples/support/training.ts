/**
 * The training loop the examples share: Adam on softmax cross-entropy over
 * seeded shuffled batches, the test accuracy after each epoch, and a record
 * of both for the plot.
 */
import { argMax, losses, train } from '../../lib/index.js';
import { batches, permutation, seededRandom } from './batches.js';
import { batchTensors, type Dataset } from './dataset.js';
import type { Classifier } from './models.js';
import { TrainingProgress } from './progress.js';

/** How to train. */
export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Adam's learning rate at the first step. */
  learningRate: number;
  /** When given, the rate falls from `learningRate` to this along a cosine over the whole run (else it stays). */
  finalLearningRate?: number;
  /** Seeds the order of the batches, epoch after epoch. */
  seed: number;
}

/** What training did: the loss of every step, and the test accuracy after every epoch. */
export interface History {
  losses: number[];
  accuracies: number[];
}

/** Trains `model` on `trainSet` with Adam, testing on `testSet` after each epoch. */
export function fit(model: Classifier, trainSet: Dataset, testSet: Dataset, options: FitOptions): History {
  const steps = Math.ceil(trainSet.count / options.batchSize);
  const { learningRate, finalLearningRate } = options;
  const optimizer = train.adam(
    finalLearningRate === undefined
      ? learningRate
      : train.schedules.cosineDecay(learningRate, options.epochs * steps, { alpha: finalLearningRate / learningRate }),
  );
  const random = seededRandom(options.seed);
  const history: History = { losses: [], accuracies: [] };
  const progress = new TrainingProgress(options.epochs, steps);
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    progress.startEpoch(epoch);
    let total = 0;
    for (const indices of batches(permutation(trainSet.count, random), options.batchSize)) {
      const { x, y } = batchTensors(trainSet, indices);
      const cost = optimizer.minimize(() => losses.softmaxCrossEntropy(y, model.logits(x)), true, model.variables);
      const loss = cost.item();
      history.losses.push(loss);
      total += loss;
      progress.step(loss);
    }
    const accuracy = testAccuracy(model, testSet);
    const seconds = (performance.now() - started) / 1000;
    history.accuracies.push(accuracy);
    progress.endEpoch({ epoch, meanLoss: total / steps, accuracy, seconds });
  }
  return history;
}

/** The fraction of `data` that `model` classifies right, computed in batches (no tape records). */
export function testAccuracy(model: Classifier, data: Dataset, batchSize = 500): number {
  let correct = 0;
  const order = Int32Array.from({ length: data.count }, (_, i) => i);
  for (const indices of batches(order, batchSize)) {
    const { x, labels } = batchTensors(data, indices);
    const predicted = argMax(model.logits(x), 1).dataSync();
    for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  }
  return correct / data.count;
}
