/**
 * The layers the examples build their classifiers from: variables made by the
 * library's seeded initializers, so the same seed gives the same weights.
 */
import { fused, initializers, variable, zeros, type Tensor, type Variable } from '../../lib/index.js';

/** A classifier: its trainable variables, and its logits `[batch, classes]` for images `[batch, pixels]`. */
export interface Classifier {
  variables: Variable[];
  logits(x: Tensor): Tensor;
}

/** A layer: its variables and what it computes, followed by an activation (default 'linear'): one fused op. */
export interface Layer {
  variables: Variable[];
  apply(x: Tensor, activation?: fused.FusedActivation): Tensor;
}

/** A fully connected layer `act(x w + b)`: w `[inSize, outSize]` from `init`, b zeros. */
export function dense(name: string, inSize: number, outSize: number, init: initializers.RandomInitializer): Layer {
  const w = variable(init.apply([inSize, outSize]), { name: `${name}/kernel` });
  const b = variable(zeros([outSize]), { name: `${name}/bias` });
  return { variables: [w, b], apply: (x, activation) => fused.matMul({ a: x, b: w, bias: b, activation }) };
}

/** A 'same'-padded, stride-1 2-D convolution (NHWC) with a bias: filter `[size, size, inDepth, outDepth]`. */
export function conv(
  name: string,
  size: number,
  inDepth: number,
  outDepth: number,
  init: initializers.RandomInitializer,
): Layer {
  const filter = variable(init.apply([size, size, inDepth, outDepth]), { name: `${name}/kernel` });
  const b = variable(zeros([outDepth]), { name: `${name}/bias` });
  return {
    variables: [filter, b],
    apply: (x, activation) => fused.conv2d({ x, filter, strides: 1, pad: 'same', bias: b, activation }),
  };
}

/**
 * A multilayer perceptron over `sizes` (`[784, 128, 10]`: one hidden layer of
 * 128): relu between layers, He-normal weights before a relu and
 * Glorot-uniform for the logits, seeded from `seed`.
 */
export function mlp(sizes: readonly number[], seed: number): Classifier {
  const layers = sizes.slice(1).map((outSize, i) => {
    const last = i === sizes.length - 2;
    const init = last ? initializers.glorotUniform({ seed: seed + i }) : initializers.heNormal({ seed: seed + i });
    return dense(`dense${i + 1}`, sizes[i]!, outSize, init);
  });
  return {
    variables: layers.flatMap((layer) => layer.variables),
    logits: (x) => layers.reduce((h, layer, i) => layer.apply(h, i < layers.length - 1 ? 'relu' : 'linear'), x),
  };
}
