/**
 * A tiny WebAssembly binary emitter: just the sections and opcodes the
 * kernels need (i32 arithmetic, loops, and 128-bit SIMD loads, stores, adds
 * and multiplies). Kernels are written as calls on {@link Code} and
 * assembled at run time, so no binary is committed. Opcode numbers are from
 * the WebAssembly core specification (2.0, with fixed-width SIMD; 3.0 for
 * relaxed SIMD's multiply-adds).
 */

/** Value types. */
export const I32 = 0x7f;
export const V128 = 0x7b;
/** The float32 value type (scalar locals of the window kernels). */
export const F32 = 0x7d;
/** The float64 value type. */
export const F64 = 0x7c;
export type ValType = typeof I32 | typeof V128 | typeof F32 | typeof F64;

/** Unsigned LEB128. */
function uleb(value: number, out: number[]): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(value: number, out: number[]): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

function name(text: string, out: number[]): void {
  uleb(text.length, out);
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i));
}

/** A SIMD instruction: the 0xfd prefix and its LEB128 sub-opcode. */
const simd = (op: number): number[] => {
  const out = [0xfd];
  uleb(op, out);
  return out;
};

/** SIMD sub-opcodes used by the kernels. */
const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  load64Splat: 0x0a,
  store: 0x0b,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  // Relaxed SIMD (WebAssembly 3.0): relaxed_madd(a, b, c) = a b + c, fused or not as the hardware does it.
  f32x4RelaxedMadd: 0x105,
  f64x2RelaxedMadd: 0x107,
} as const;

/** A function body under construction: locals are indices, instructions append bytes. */
export class Code {
  readonly bytes: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(readonly params: readonly ValType[]) {}

  /** Declares a local of `type` and returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  /** The locals declaration followed by the body and `end`. */
  encode(): number[] {
    const out: number[] = [];
    uleb(this.localTypes.length, out);
    for (const t of this.localTypes) out.push(1, t);
    out.push(...this.bytes, 0x0b);
    return out;
  }

  private op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }

  private memarg(align: number, offset: number): this {
    uleb(align, this.bytes);
    uleb(offset, this.bytes);
    return this;
  }

  get(i: number): this {
    this.op(0x20);
    uleb(i, this.bytes);
    return this;
  }
  set(i: number): this {
    this.op(0x21);
    uleb(i, this.bytes);
    return this;
  }
  tee(i: number): this {
    this.op(0x22);
    uleb(i, this.bytes);
    return this;
  }
  i32(value: number): this {
    this.op(0x41);
    sleb(value, this.bytes);
    return this;
  }
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32LtU(): this {
    return this.op(0x49);
  }
  /** `loop` with no result; `br 0` inside jumps back to its start. */
  loop(): this {
    return this.op(0x03, 0x40);
  }
  end(): this {
    return this.op(0x0b);
  }
  brIf(depth: number): this {
    this.op(0x0d);
    uleb(depth, this.bytes);
    return this;
  }
  /** `i32.load` / `i64.load` (`bytes` 4 or 8) at the address on the stack plus `offset`: copies a float's bits. */
  intLoad(bytes: 4 | 8, offset = 0): this {
    return this.op(bytes === 4 ? 0x28 : 0x29).memarg(bytes === 4 ? 2 : 3, offset);
  }
  /** `i32.store` / `i64.store` of the value on the stack at the address under it plus `offset`. */
  intStore(bytes: 4 | 8, offset = 0): this {
    return this.op(bytes === 4 ? 0x36 : 0x37).memarg(bytes === 4 ? 2 : 3, offset);
  }
  /** `v128.load` at the address on the stack plus `offset`. */
  v128Load(offset = 0): this {
    return this.op(...simd(SIMD.load)).memarg(4, offset);
  }
  v128Store(offset = 0): this {
    return this.op(...simd(SIMD.store)).memarg(4, offset);
  }
  /** Loads one 4-byte (`f32x4`) or 8-byte (`f64x2`) element and splats it to every lane. */
  loadSplat(bytes: 4 | 8, offset = 0): this {
    return this.op(...simd(bytes === 4 ? SIMD.load32Splat : SIMD.load64Splat)).memarg(bytes === 4 ? 2 : 3, offset);
  }
  /** Lane-wise arithmetic in `f32x4` or `f64x2`. */
  vAdd(bytes: 4 | 8): this {
    return this.op(...simd(bytes === 4 ? SIMD.f32x4Add : SIMD.f64x2Add));
  }
  vMul(bytes: 4 | 8): this {
    return this.op(...simd(bytes === 4 ? SIMD.f32x4Mul : SIMD.f64x2Mul));
  }
  /**
   * Relaxed SIMD's multiply-add in `f32x4` or `f64x2`: pops c, b, a and pushes
   * `a b + c`, rounded once where the hardware fuses it (FMA), else twice.
   */
  vMadd(bytes: 4 | 8): this {
    return this.op(...simd(bytes === 4 ? SIMD.f32x4RelaxedMadd : SIMD.f64x2RelaxedMadd));
  }
  /** Any SIMD instruction without immediates, by its sub-opcode from {@link SimdOp}. */
  vOp(op: number): this {
    return this.op(...simd(op));
  }
  /** `v128.const` with the same float32 value in all four lanes. */
  f32x4Const(value: number): this {
    const lane = new Uint8Array(new Float32Array([value]).buffer);
    return this.op(...simd(0x0c), ...lane, ...lane, ...lane, ...lane);
  }
  /** `v128.const` with the same 32-bit integer in all four lanes. */
  i32x4Const(value: number): this {
    const lane = new Uint8Array(new Int32Array([value]).buffer);
    return this.op(...simd(0x0c), ...lane, ...lane, ...lane, ...lane);
  }

  // -- Structured control, scalar integer and float ops (the window kernels of conv.ts and pool.ts) --

  /** `block` with no result; `br`/`brIf` of its depth jump past its `end`. */
  block(): this {
    return this.op(0x02, 0x40);
  }
  /** `if` with no result on the i32 on the stack (non-zero: run until `else`/`end`). */
  if(): this {
    return this.op(0x04, 0x40);
  }
  else(): this {
    return this.op(0x05);
  }
  br(depth: number): this {
    this.op(0x0c);
    uleb(depth, this.bytes);
    return this;
  }
  /** `select`: pops the condition, then b, then a; pushes a where the condition is non-zero, else b. */
  select(): this {
    return this.op(0x1b);
  }
  /** A scalar instruction without immediates, by its opcode from {@link ScalarOp}. */
  sOp(op: number): this {
    return this.op(op);
  }
  /** `f32.load` / `f64.load` (`bytes` 4 or 8) at the address on the stack plus `offset`. */
  floatLoad(bytes: 4 | 8, offset = 0): this {
    return this.op(bytes === 4 ? 0x2a : 0x2b).memarg(bytes === 4 ? 2 : 3, offset);
  }
  /** `f32.store` / `f64.store` of the value on the stack at the address under it plus `offset`. */
  floatStore(bytes: 4 | 8, offset = 0): this {
    return this.op(bytes === 4 ? 0x38 : 0x39).memarg(bytes === 4 ? 2 : 3, offset);
  }
  /** `f64.const`. */
  f64(value: number): this {
    this.op(0x44);
    for (const b of new Uint8Array(new Float64Array([value]).buffer)) this.bytes.push(b);
    return this;
  }
  /** `v128.const` from 16 bytes, lane 0 first. */
  v128Const(lanes: readonly number[]): this {
    return this.op(...simd(0x0c), ...lanes);
  }
  /** `v128.load64_zero`: 8 bytes into the low half, zeros above. */
  v128Load64Zero(offset = 0): this {
    return this.op(...simd(0x5d)).memarg(3, offset);
  }
  /** `v128.store64_lane 0`: stores the low 8 bytes of the vector on the stack. */
  v128Store64Low(offset = 0): this {
    return this.op(...simd(0x5b))
      .memarg(3, offset)
      .op(0);
  }
}

/** Scalar opcodes without immediates, for {@link Code.sOp}: i32 comparisons and arithmetic, f64 arithmetic, conversions. */
export const ScalarOp = {
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GeS: 0x4e,
  i32DivU: 0x6e,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Or: 0x72,
  i32ShrU: 0x76,
  f32Eq: 0x5b,
  f32Ne: 0x5c,
  f32Gt: 0x5e,
  f32Add: 0x92,
  f64Add: 0xa0,
  f64Div: 0xa3,
  f32DemoteF64: 0xb6,
  f64PromoteF32: 0xbb,
  f64ConvertI32U: 0xb8,
} as const;

/** SIMD sub-opcodes without immediates, for {@link Code.vOp} (WebAssembly 2.0, fixed-width SIMD). */
export const SimdOp = {
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  i32x4Eq: 0x37,
  i32x4LtS: 0x39,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  v128Not: 0x4d,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Or: 0x50,
  v128Xor: 0x51,
  /** `bitselect(a, b, mask)`: bits of `a` where `mask` is 1, else of `b`. */
  v128Bitselect: 0x52,
  f32x4Nearest: 0x6a,
  i32x4Shl: 0xab,
  i32x4ShrS: 0xac,
  i32x4ShrU: 0xad,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Min: 0xe8,
  f32x4Max: 0xe9,
  /** `b < a ? b : a` (one instruction on x64; NaN in `a` passes). */
  f32x4Pmin: 0xea,
  /** `a < b ? b : a` (one instruction on x64; NaN in `a` passes). */
  f32x4Pmax: 0xeb,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  f64x2Sqrt: 0xef,
  i32x4TruncSatF32x4S: 0xf8,
  f32x4ConvertI32x4S: 0xfa,
  /** Two float64 lanes from the low two float32 lanes. */
  f64x2PromoteLowF32x4: 0x5f,
  /** Two float32 lanes (then two zeros) from two float64 lanes, rounded to nearest. */
  f32x4DemoteF64x2Zero: 0x5e,
} as const;

interface FunctionEntry {
  readonly name: string;
  readonly code: Code;
}

/**
 * A module that imports one memory (`env.memory`, so its owner can grow it
 * and keep views) and exports functions with i32 parameters and no results.
 */
export class ModuleBuilder {
  private readonly functions: FunctionEntry[] = [];

  /**
   * `sharedMaximum`: import a shared memory of at most that many pages (one
   * that worker threads can instantiate the module with too); else an
   * ordinary memory with no maximum.
   */
  constructor(private readonly sharedMaximum?: number) {}

  /** Adds an exported function; fill in the returned body. */
  func(exportName: string, params: readonly ValType[]): Code {
    const code = new Code(params);
    this.functions.push({ name: exportName, code });
    return code;
  }

  /** The module's binary. */
  encode(): Uint8Array {
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, body: number[]) => {
      out.push(id);
      uleb(body.length, out);
      out.push(...body);
    };
    // Types: one per function (duplicates are allowed and keep this simple).
    const types: number[] = [];
    uleb(this.functions.length, types);
    for (const f of this.functions) {
      types.push(0x60);
      uleb(f.code.params.length, types);
      types.push(...f.code.params);
      types.push(0);
    }
    section(1, types);
    // Imports: env.memory with a minimum of 1 page (limits flag 0x03: shared, with a maximum).
    const imports: number[] = [1];
    name('env', imports);
    name('memory', imports);
    if (this.sharedMaximum === undefined) imports.push(0x02, 0x00, 1);
    else {
      imports.push(0x02, 0x03, 1);
      uleb(this.sharedMaximum, imports);
    }
    section(2, imports);
    const funcs: number[] = [];
    uleb(this.functions.length, funcs);
    this.functions.forEach((_, i) => uleb(i, funcs));
    section(3, funcs);
    const exports: number[] = [];
    uleb(this.functions.length, exports);
    this.functions.forEach((f, i) => {
      name(f.name, exports);
      exports.push(0x00);
      uleb(i, exports);
    });
    section(7, exports);
    const code: number[] = [];
    uleb(this.functions.length, code);
    for (const f of this.functions) {
      const body = f.code.encode();
      uleb(body.length, code);
      code.push(...body);
    }
    section(10, code);
    return Uint8Array.from(out);
  }
}
