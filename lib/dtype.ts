import { MAX_SIZE, sizeError } from './shape.js';

/**
 * Element types. tapegrad stores every tensor in a typed array of its dtype,
 * row-major. `float32` is the default, as in TensorFlow.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The floating dtypes: the only ones that carry gradients. */
export type FloatDType = 'float32' | 'float64';

/** The typed array that holds a tensor of each dtype (`bool` is 0 or 1 per byte). */
export interface DataTypeMap {
  /** 32-bit floats, the default dtype. */
  float32: Float32Array;
  /** 64-bit floats, for precision (and gradient checks). */
  float64: Float64Array;
  /** 32-bit signed integers: no gradients flow through them. */
  int32: Int32Array;
  /** Booleans stored as one byte each, 0 or 1: no gradients flow through them. */
  bool: Uint8Array;
}

/** Any of the typed arrays a tensor can hold. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Rank of each dtype for promotion: bool < int32 < float32 < float64. */
const PROMOTION_RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** Whether `value` names a dtype. */
export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

/** Whether gradients can flow through values of this dtype. */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

/**
 * The dtype two operands are computed in (TensorFlow.js's `upcastType`):
 * the wider of the two, in the order bool < int32 < float32 < float64.
 */
export function promoteTypes(a: DType, b: DType): DType {
  return PROMOTION_RANK[a] >= PROMOTION_RANK[b] ? a : b;
}

/**
 * A new zero-filled typed array of `size` elements for `dtype`. A size over
 * {@link MAX_SIZE} is an error naming `op` (when given) and the limit, not
 * the engine's bare "Invalid typed array length".
 */
export function allocate<D extends DType>(dtype: D, size: number, op?: string): DataTypeMap[D];
export function allocate(dtype: DType, size: number, op?: string): TypedArray {
  if (size > MAX_SIZE) throw sizeError(op, `${dtype === 'int32' ? 'an' : 'a'} ${dtype} result`, size);
  // A switch, not `new ARRAY_TYPES[dtype](size)`: one construct site per type is 70 against 45 ns a call, on every op.
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

/** A typed array constructor, as {@link ARRAY_TYPES} holds them: a new zero-filled array, or a view of a buffer. */
export interface ArrayType {
  new (length: number): TypedArray;
  new (buffer: ArrayBuffer): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
}

/** The typed array that holds each dtype (`bool` in bytes), as {@link DataTypeMap} names them. */
export const ARRAY_TYPES: Readonly<Record<DType, ArrayType>> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
};

/** The dtype whose storage is this typed array, or undefined for other arrays. */
export function dtypeOfArray(values: unknown): DType | undefined {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Float64Array) return 'float64';
  if (values instanceof Int32Array) return 'int32';
  if (values instanceof Uint8Array) return 'bool';
  return undefined;
}

/** Throws the standard error for an unknown dtype name. */
export function checkDType(op: string, dtype: unknown): asserts dtype is DType {
  if (!isDType(dtype)) {
    throw new TypeError(`tapegrad.${op}: unknown dtype ${JSON.stringify(dtype)}; use one of ${DTYPES.join(', ')}`);
  }
}
