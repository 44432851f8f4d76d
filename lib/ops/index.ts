/** Every op, re-exported by family. */
export { add, sub, mul, div, pow, maximum, minimum } from './arithmetic.js';
export { neg, square, sqrt, exp, log, relu, sigmoid, tanh } from './unary.js';
export { equal, notEqual, less, lessEqual, greater, greaterEqual, where } from './compare.js';
export { sum, mean } from './reduce.js';
export { matmul } from './matmul.js';
export { reshape, transpose, broadcastTo, cast, identity, stopGradient } from './shape.js';
