/** Gradient checking, for tapegrad's own specs and for users writing their own ops. */
export {
  checkGradients,
  numericJvp,
  type CheckGradientsOptions,
  type CheckGradientsResult,
  type GradientComparison,
} from './gradcheck.js';
