/**
 * Seeded test inputs in the domains gradient checks need: anywhere, positive
 * (log, sqrt, a pow base), away from zero (relu's kink, a divisor), separated
 * (maximum/minimum operands that never tie), or bool (a where condition).
 */
import { tensor, type DType, type Shape, type Tensor } from '../../lib/index.js';
import { sizeOf } from '../../lib/shape.js';
import { fillUniform } from '../../lib/kernels/random.js';

export type Domain = 'any' | 'positive' | 'nonzero' | 'separated' | 'bool';

/**
 * A float64 tensor (or of `dtype`; bool for 'bool') of `shape` drawn from `domain`. `index`
 * is the operand's position: 'separated' operands sit on interleaved grids
 * (integers + 0.25 + index / 2, jittered by at most 0.05), so two operands
 * are always at least 0.4 apart and a central difference never crosses a tie.
 */
export function sampleInput(shape: Shape, domain: Domain, index: number, seed: number, dtype?: DType): Tensor {
  // Seeds are integers in [0, 2^32): wrap (as the generator did before seeds were checked, so the inputs are unchanged).
  // The draws are randomUniform's in float64, taken from its kernel so that no float64 tensor is made (webgpu has none).
  const u = new Float64Array(sizeOf(shape));
  const w = new Float64Array(sizeOf(shape));
  fillUniform(u, 0, 1, (seed * 31 + index) % 2 ** 32);
  fillUniform(w, 0, 1, (seed * 31 + index + 17) % 2 ** 32);
  const values = Array.from(u, (a, i): number => {
    const b = w[i]!;
    switch (domain) {
      case 'any':
        return 4 * a - 2;
      case 'positive':
        return 0.5 + 1.5 * a;
      case 'nonzero':
        return (b < 0.5 ? -1 : 1) * (0.3 + 1.7 * a);
      case 'separated':
        return Math.floor(7 * a) - 3 + 0.25 + 0.5 * (index % 2) + 0.1 * (b - 0.5);
      case 'bool':
        return a < 0.5 ? 1 : 0;
    }
  });
  return tensor(values, shape, domain === 'bool' ? 'bool' : (dtype ?? 'float64'));
}
