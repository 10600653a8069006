/**
 * The float instructions of one precision, as a scalar or as a SIMD vector.
 *
 * Every generator is written once against {@linkcode Kind}, and the float32
 * and float64 kernels — and their vector bodies and scalar tails — come from
 * the same code by passing a different kind. A kind's value is one element
 * (`f32`/`f64`) or a `v128` holding `width` of them; `splat` puts an element in
 * every lane, so code written for lanes also reads right for a single value.
 *
 * @module
 */

import type { DType } from "../types.ts";
import { type Code, ValType } from "./encoder.ts";

/**
 * Loads, stores and arithmetic on values of one type, a scalar or a vector of
 * lanes. Each appends to `c` and returns it, so calls chain with `Code`'s own.
 */
export interface Kind {
  /** The local type holding a value. */
  readonly type: ValType;
  /** Elements per value: 1 for a scalar, the lane count for a vector. */
  readonly width: number;
  /** Bytes per value. */
  readonly bytes: number;
  /** `(addr) → value` from `addr + offset`. */
  load(c: Code, offset?: number): Code;
  /** `(addr) → value` with the element at `addr + offset` in every lane. */
  loadSplat(c: Code, offset?: number): Code;
  /** `(addr, value) →` stored at `addr + offset`. */
  store(c: Code, offset?: number): Code;
  /** `(element) → value` with the element in every lane. */
  splat(c: Code): Code;
  /** `→ 0`. */
  zero(c: Code): Code;
  /** `(x, y) → x + y`. */
  add(c: Code): Code;
  /** `(x, y) → x · y`. */
  mul(c: Code): Code;
  /** `acc += a · b` on locals; fused where relaxed SIMD allows it. */
  madd(c: Code, a: number, b: number, acc: number): Code;
  /** `(x) → x > 0`, as an i32 for a scalar and a lane mask for a vector. */
  positive(c: Code): Code;
  /** `(x, cond) → cond ? x : 0`, `cond` as {@linkcode Kind.positive} leaves it. */
  keep(c: Code): Code;
  /** `(value) → element`: the sum of the lanes. */
  sumLanes(c: Code): Code;
}

/** The scalar and vector kinds of one element type. */
export interface Precision {
  /** The element type. */
  readonly dtype: DType;
  /** Bytes per element. */
  readonly bytes: number;
  /** One element at a time: for tails and edges. */
  readonly scalar: Kind;
  /** A `v128` of elements. */
  readonly vector: Kind;
}

/** Opcodes that differ between the two element types, scalar ones plain and vector ones 0xfd-prefixed. */
interface Opcodes {
  type: ValType;
  bytes: number;
  load: number;
  store: number;
  add: number;
  mul: number;
  gt: number;
  constZero: number[];
  vLoadSplat: number;
  vSplat: number;
  vExtract: number;
  vAdd: number;
  vMul: number;
  vGt: number;
  vMadd: number;
}

const F32_OPS: Opcodes = {
  type: ValType.f32,
  bytes: 4,
  load: 0x2a,
  store: 0x38,
  add: 0x92,
  mul: 0x94,
  gt: 0x5e,
  constZero: [0x43, 0, 0, 0, 0],
  vLoadSplat: 0x09,
  vSplat: 0x13,
  vExtract: 0x1f,
  vAdd: 0xe4,
  vMul: 0xe6,
  vGt: 0x44,
  vMadd: 0x105,
};

const F64_OPS: Opcodes = {
  type: ValType.f64,
  bytes: 8,
  load: 0x2b,
  store: 0x39,
  add: 0xa0,
  mul: 0xa2,
  gt: 0x64,
  constZero: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  vLoadSplat: 0x0a,
  vSplat: 0x14,
  vExtract: 0x21,
  vAdd: 0xf0,
  vMul: 0xf2,
  vGt: 0x4a,
  vMadd: 0x107,
};

const V128_LOAD = 0x00, V128_STORE = 0x0b, V128_AND = 0x4e;
/** `select`: `(x, y, cond) → cond ? x : y`. */
const SELECT = 0x1b;

function scalarKind(o: Opcodes): Kind {
  const align = Math.log2(o.bytes);
  return {
    type: o.type,
    width: 1,
    bytes: o.bytes,
    load: (c, offset) => c.mem([o.load], align, offset),
    loadSplat: (c, offset) => c.mem([o.load], align, offset),
    store: (c, offset) => c.mem([o.store], align, offset),
    splat: (c) => c,
    zero: (c) => c.op(...o.constZero),
    add: (c) => c.op(o.add),
    mul: (c) => c.op(o.mul),
    madd: (c, a, b, acc) => c.get(acc).get(a).get(b).op(o.mul, o.add).set(acc),
    positive: (c) => c.op(...o.constZero, o.gt),
    // cond ? x : 0 — the zero goes between x and cond.
    keep: (c) => {
      const cond = c.local(ValType.i32);
      return c.set(cond).op(...o.constZero).get(cond).op(SELECT);
    },
    sumLanes: (c) => c,
  };
}

function vectorKind(o: Opcodes, relaxed: boolean): Kind {
  const width = 16 / o.bytes, align = Math.log2(o.bytes);
  return {
    type: ValType.v128,
    width,
    bytes: 16,
    load: (c, offset) => c.mem([0xfd, V128_LOAD], 4, offset),
    loadSplat: (c, offset) => c.mem([0xfd, o.vLoadSplat], align, offset),
    store: (c, offset) => c.mem([0xfd, V128_STORE], 4, offset),
    splat: (c) => c.simd(o.vSplat),
    zero: (c) => c.v128Zero(),
    add: (c) => c.simd(o.vAdd),
    mul: (c) => c.simd(o.vMul),
    // relaxed_madd(a, b, c) = a·b + c, rounded once or twice as the hardware prefers.
    madd: (c, a, b, acc) =>
      relaxed
        ? c.get(a).get(b).get(acc).simd(o.vMadd).set(acc)
        : c.get(acc).get(a).get(b).simd(o.vMul).simd(o.vAdd).set(acc),
    positive: (c) => c.v128Zero().simd(o.vGt),
    keep: (c) => c.simd(V128_AND),
    sumLanes: (c) => {
      const v = c.local(ValType.v128);
      c.set(v);
      for (let lane = 0; lane < width; lane++) {
        c.get(v).simd(o.vExtract, lane);
        if (lane > 0) c.op(o.add);
      }
      return c;
    },
  };
}

/**
 * The instructions for `dtype`, with `f32x4/f64x2.relaxed_madd` for
 * multiply-adds when `relaxed` (the caller has checked that the engine has it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { precision } from "./precision.ts";
 * const p = precision("float64", false);
 * assert.equal(p.vector.width, 2);
 * assert.equal(p.scalar.width, 1);
 * ```
 */
export function precision(dtype: DType, relaxed: boolean): Precision {
  const o = dtype === "float64" ? F64_OPS : F32_OPS;
  return { dtype, bytes: o.bytes, scalar: scalarKind(o), vector: vectorKind(o, relaxed) };
}
