/**
 * Loss functions, as TensorFlow.js's `tf.losses`: each computes an element-wise
 * (or per-example) loss from differentiable ops, multiplies it by optional
 * `weights` (which broadcast to the loss's shape) and reduces it as
 * `reduction` says, by default the sum divided by the number of nonzero weights.
 *
 * @example
 * ```ts
 * import { losses, tensor } from 'tapegrad';
 * const labels = tensor([1, 2, 3]);
 * const predictions = tensor([1, 4, 6]);
 * losses.meanSquaredError(labels, predictions); // ~4.3333333: (0 + 4 + 9) / 3
 * losses.meanSquaredError(labels, predictions, undefined, losses.Reduction.SUM); // 13
 * ```
 * @packageDocumentation
 */
import { convertToTensor } from '../creation.js';
import { isFloat, promoteTypes } from '../dtype.js';
import { broadcastsTo, formatShape, shapesEqual } from '../shape.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { logSoftmax, relu } from './activation.js';
import { add, div, mul, neg, sub } from './arithmetic.js';
import { notEqual } from './compare.js';
import { abs, minimum } from './piecewise.js';
import { exp, log, log1p, square } from './powers.js';
import { mean, sum } from './reduce.js';
import { broadcastTo, cast } from './shape.js';

/**
 * How a loss is reduced to what it returns (TensorFlow.js's `Reduction`).
 *
 * - `NONE`: the weighted losses, unreduced;
 * - `SUM`: their sum;
 * - `MEAN`: their sum divided by the sum of the weights (by the number of
 *   losses without weights); weights that broadcast are counted once per loss
 *   they reach;
 * - `SUM_BY_NONZERO_WEIGHTS` (the default): their sum divided by the number of
 *   nonzero weights, broadcast to the losses (by the number of losses without weights).
 *
 * @example
 * ```ts
 * import { losses, tensor } from 'tapegrad';
 * const labels = tensor([0, 0, 0]);
 * const predictions = tensor([1, 2, 3]);
 * const weights = tensor([1, 0, 2]);
 * losses.absoluteDifference(labels, predictions, weights, losses.Reduction.NONE); // [1, 0, 6]
 * losses.absoluteDifference(labels, predictions, weights, losses.Reduction.SUM); // 7
 * losses.absoluteDifference(labels, predictions, weights, losses.Reduction.MEAN); // ~2.3333333: 7 / (1 + 0 + 2)
 * losses.absoluteDifference(labels, predictions, weights); // 3.5: 7 / 2 nonzero weights
 * ```
 */
export enum Reduction {
  /** No reduction: the weighted loss per element. */
  NONE,
  /** The weighted sum divided by the sum of the weights. */
  MEAN,
  /** The weighted sum. */
  SUM,
  /** The weighted sum divided by the number of nonzero weights (the default). */
  SUM_BY_NONZERO_WEIGHTS,
}

/** `tapegrad.losses.<name>`, as errors name a loss. */
const opName = (name: string) => `losses.${name}`;

/**
 * Converts a loss's two operands to one float dtype (the wider of theirs,
 * float32 for integers and bools) and checks that their shapes are equal.
 */
function lossInputs(
  name: string,
  [aName, a]: [string, TensorLike],
  [bName, b]: [string, TensorLike],
): [Tensor, Tensor] {
  const op = opName(name);
  const y = convertToTensor(op, bName, b);
  const x = convertToTensor(op, aName, a, y.dtype);
  if (!shapesEqual(x.shape, y.shape)) {
    throw new Error(
      `tapegrad.${op}: ${aName} shaped ${formatShape(x.shape)} and ${bName} shaped ${formatShape(y.shape)} ` +
        'must have the same shape',
    );
  }
  const promoted = promoteTypes(x.dtype, y.dtype);
  const dtype = isFloat(promoted) ? promoted : 'float32';
  return [x.dtype === dtype ? x : cast(x, dtype), y.dtype === dtype ? y : cast(y, dtype)];
}

/** Weights the element-wise `losses` and reduces them (TensorFlow.js's computeWeightedLoss). */
function weightedLoss(name: string, losses: Tensor, weights: TensorLike | undefined, reduction: Reduction): Tensor {
  const op = opName(name);
  if (typeof reduction !== 'number' || Reduction[reduction] === undefined) {
    throw new RangeError(
      `tapegrad.${op}: reduction ${String(reduction)} is not a Reduction; ` +
        'use losses.Reduction.NONE, MEAN, SUM or SUM_BY_NONZERO_WEIGHTS',
    );
  }
  let w: Tensor | undefined;
  if (weights !== undefined && weights !== null) {
    w = convertToTensor(op, 'weights', weights, losses.dtype);
    if (w.dtype !== losses.dtype) w = cast(w, losses.dtype);
    if (!broadcastsTo(w.shape, losses.shape)) {
      throw new Error(
        `tapegrad.${op}: weights shaped ${formatShape(w.shape)} do not broadcast to the losses, shaped ` +
          `${formatShape(losses.shape)}; give one weight, or a shape whose dimensions are 1 or the losses'`,
      );
    }
  }
  const weighted = w ? mul(losses, w) : losses;
  switch (reduction) {
    case Reduction.NONE:
      return weighted;
    case Reduction.SUM:
      return sum(weighted);
    case Reduction.MEAN: {
      if (!w) return mean(weighted);
      const result = div(sum(weighted), sum(w));
      const broadcastFactor = losses.size / Math.max(1, w.size);
      return broadcastFactor > 1 ? div(result, broadcastFactor) : result;
    }
    case Reduction.SUM_BY_NONZERO_WEIGHTS: {
      if (!w) return div(sum(weighted), losses.size);
      const nonzero = cast(sum(notEqual(broadcastTo(w, losses.shape), 0)), losses.dtype);
      return div(sum(weighted), nonzero);
    }
  }
}

/**
 * Softmax cross-entropy between one-hot (or probability) labels and logits
 * along the last axis: `-sum(labels * logSoftmax(logits), -1)`, one loss per
 * example, then weighted and reduced. `labelSmoothing` s replaces the labels
 * by `labels (1 - s) + s / numClasses`, with numClasses the size of the last
 * axis. Stable for large logits (log-softmax subtracts the maximum).
 *
 * @param onehotLabels - The target distribution along the last axis: one-hot or probabilities, of `logits`' shape.
 * @param logits - The unnormalised log-probabilities, classes along the last axis (rank >= 1).
 * @param weights - Weights multiplying the losses, broadcast to their shape; none when omitted.
 * @param labelSmoothing - The smoothing s: labels become `labels (1 - s) + s / numClasses`; default 0 (none).
 * @param reduction - How to reduce the weighted losses (see {@link Reduction}); default
 *   `Reduction.SUM_BY_NONZERO_WEIGHTS`.
 *
 * @example
 * ```ts
 * import { losses, tensor } from 'tapegrad';
 * const labels = tensor([[0, 1], [1, 0]]);
 * const logits = tensor([[0, Math.log(3)], [0, 0]]);
 * losses.softmaxCrossEntropy(labels, logits, undefined, 0, losses.Reduction.NONE); // ~[0.2876821, 0.6931472]: -log 0.75, -log 0.5
 * losses.softmaxCrossEntropy(labels, logits); // ~0.4904146
 * ```
 */
export function softmaxCrossEntropy(
  onehotLabels: TensorLike,
  logits: TensorLike,
  weights?: TensorLike,
  labelSmoothing = 0,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  const [onehot, x] = lossInputs('softmaxCrossEntropy', ['onehotLabels', onehotLabels], ['logits', logits]);
  let labels = onehot;
  if (x.rank === 0) {
    throw new RangeError(
      'tapegrad.losses.softmaxCrossEntropy: logits is a scalar; give logits and labels a class axis (the last)',
    );
  }
  if (labelSmoothing > 0) {
    const classes = x.shape[x.rank - 1]!;
    labels = add(mul(labels, 1 - labelSmoothing), labelSmoothing / classes);
  }
  const losses = neg(sum(mul(labels, logSoftmax(x)), -1));
  return weightedLoss('softmaxCrossEntropy', losses, weights, reduction);
}

/**
 * Sigmoid cross-entropy between labels in [0, 1] and logits, element-wise:
 * `max(x, 0) - x z + log(1 + exp(-|x|))`, the stable form of
 * `-z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x))`, then weighted and
 * reduced. `labelSmoothing` s replaces the labels by `z (1 - s) + s / 2`.
 *
 * @param multiClassLabels - The targets, in [0, 1], of `logits`' shape.
 * @param logits - The logits, one per independent binary label.
 * @param weights - Weights multiplying the losses, broadcast to their shape; none when omitted.
 * @param labelSmoothing - The smoothing s: labels become `z (1 - s) + s / 2`; default 0 (none).
 * @param reduction - How to reduce the weighted losses (see {@link Reduction}); default
 *   `Reduction.SUM_BY_NONZERO_WEIGHTS`.
 *
 * @example
 * ```ts
 * import { losses, tensor } from 'tapegrad';
 * const labels = tensor([1, 0]);
 * const logits = tensor([0, 1000]);
 * losses.sigmoidCrossEntropy(labels, logits, undefined, 0, losses.Reduction.NONE); // ~[0.6931472, 1000]
 * losses.sigmoidCrossEntropy(labels, logits, undefined, 0, losses.Reduction.SUM); // ~1000.6931
 * ```
 */
export function sigmoidCrossEntropy(
  multiClassLabels: TensorLike,
  logits: TensorLike,
  weights?: TensorLike,
  labelSmoothing = 0,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  const [labels, x] = lossInputs('sigmoidCrossEntropy', ['multiClassLabels', multiClassLabels], ['logits', logits]);
  let z = labels;
  if (labelSmoothing > 0) z = add(mul(z, 1 - labelSmoothing), 0.5 * labelSmoothing);
  const losses = add(sub(relu(x), mul(x, z)), log1p(exp(neg(abs(x)))));
  return weightedLoss('sigmoidCrossEntropy', losses, weights, reduction);
}

/**
 * The squared error `(labels - predictions)^2`, element-wise, then weighted
 * and reduced (by default its mean over nonzero weights).
 *
 * @param labels - The targets.
 * @param predictions - The predicted values, of `labels`' shape.
 * @param weights - Weights multiplying the losses, broadcast to their shape; none when omitted.
 * @param reduction - How to reduce the weighted losses (see {@link Reduction}); default
 *   `Reduction.SUM_BY_NONZERO_WEIGHTS`.
 *
 * @example
 * ```ts
 * import { losses, tensor } from 'tapegrad';
 * losses.meanSquaredError(tensor([1, 2]), tensor([2, 4])); // 2.5
 * losses.meanSquaredError(tensor([1, 2]), tensor([2, 4]), tensor([0, 1])); // 4: one nonzero weight
 * ```
 */
export function meanSquaredError(
  labels: TensorLike,
  predictions: TensorLike,
  weights?: TensorLike,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  const [y, p] = lossInputs('meanSquaredError', ['labels', labels], ['predictions', predictions]);
  return weightedLoss('meanSquaredError', square(sub(y, p)), weights, reduction);
}

/**
 * The absolute error `|labels - predictions|`, element-wise, then weighted and
 * reduced. Its gradient at a zero error is 0 (abs'(0) = 0, as TensorFlow).
 *
 * @param labels - The targets.
 * @param predictions - The predicted values, of `labels`' shape.
 * @param weights - Weights multiplying the losses, broadcast to their shape; none when omitted.
 * @param reduction - How to reduce the weighted losses (see {@link Reduction}); default
 *   `Reduction.SUM_BY_NONZERO_WEIGHTS`.
 *
 * @example
 * ```ts
 * import { losses, tensor } from 'tapegrad';
 * losses.absoluteDifference(tensor([1, 2]), tensor([2, 5])); // 2
 * ```
 */
export function absoluteDifference(
  labels: TensorLike,
  predictions: TensorLike,
  weights?: TensorLike,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  const [y, p] = lossInputs('absoluteDifference', ['labels', labels], ['predictions', predictions]);
  return weightedLoss('absoluteDifference', abs(sub(y, p)), weights, reduction);
}

/**
 * The Huber loss, element-wise: with `e = |predictions - labels|`, `e^2 / 2`
 * where `e <= delta` and `delta (e - delta / 2)` beyond, then weighted and
 * reduced. At `e = delta` exactly, the gradient is taken from the quadratic
 * side (`minimum` gives ties to its first argument, as TensorFlow); both sides agree there.
 *
 * @param labels - The targets.
 * @param predictions - The predicted values, of `labels`' shape.
 * @param weights - Weights multiplying the losses, broadcast to their shape; none when omitted.
 * @param delta - Where the loss turns from quadratic to linear in the error; default 1.
 * @param reduction - How to reduce the weighted losses (see {@link Reduction}); default
 *   `Reduction.SUM_BY_NONZERO_WEIGHTS`.
 *
 * @example
 * ```ts
 * import { losses, tensor } from 'tapegrad';
 * const labels = tensor([0, 0]);
 * losses.huberLoss(labels, tensor([0.5, 3]), undefined, 1, losses.Reduction.NONE); // [0.125, 2.5]
 * losses.huberLoss(labels, tensor([0.5, 3])); // 1.3125
 * ```
 */
export function huberLoss(
  labels: TensorLike,
  predictions: TensorLike,
  weights?: TensorLike,
  delta = 1,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  const [y, p] = lossInputs('huberLoss', ['labels', labels], ['predictions', predictions]);
  const error = abs(sub(p, y));
  const quadratic = minimum(error, delta);
  const linear = sub(error, quadratic);
  return weightedLoss('huberLoss', add(mul(square(quadratic), 0.5), mul(linear, delta)), weights, reduction);
}

/**
 * The log loss (binary cross-entropy on probabilities), element-wise:
 * `-labels log(predictions + epsilon) - (1 - labels) log(1 - predictions + epsilon)`,
 * then weighted and reduced.
 *
 * @param labels - The targets, in [0, 1].
 * @param predictions - The predicted probabilities, in [0, 1], of `labels`' shape.
 * @param weights - Weights multiplying the losses, broadcast to their shape; none when omitted.
 * @param epsilon - Added inside each log, so a probability of 0 gives a finite loss; default 1e-7.
 * @param reduction - How to reduce the weighted losses (see {@link Reduction}); default
 *   `Reduction.SUM_BY_NONZERO_WEIGHTS`.
 *
 * @example
 * ```ts
 * import { losses, tensor } from 'tapegrad';
 * losses.logLoss(tensor([1, 0]), tensor([0.5, 0.5]), undefined, 0); // ~0.6931472
 * losses.logLoss(tensor([1, 0]), tensor([0.9, 0.2])); // ~0.1642519: (-log 0.9 - log 0.8) / 2
 * ```
 */
export function logLoss(
  labels: TensorLike,
  predictions: TensorLike,
  weights?: TensorLike,
  epsilon = 1e-7,
  reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS,
): Tensor {
  const [y, p] = lossInputs('logLoss', ['labels', labels], ['predictions', predictions]);
  const positive = mul(y, log(add(p, epsilon)));
  const negative = mul(sub(1, y), log(add(sub(1, p), epsilon)));
  return weightedLoss('logLoss', neg(add(positive, negative)), weights, reduction);
}
