/**
 * The logistic function `σ(z) = 1 / (1 + e^(−z))` in float32 WebAssembly, for vectors and
 * scalars alike, so that a value's result does not depend on whether it fell in the tail.
 *
 * WebAssembly has no `exp`, so `e^t` is built the way Cephes' `expf` builds it: `t = n·ln 2 + r`
 * with `n` the nearest integer to `t·log₂e` and `|r| ≤ ½ ln 2`; `e^r` from a degree-7
 * polynomial (its coefficients are Cephes'); `2^n` written straight into a float's exponent
 * bits. That is within 2 ulp of `e^t` in float32; `σ` then differs from the TypeScript loop
 * (`Math.exp` in float64, one rounding) by a few ulp. Float64 keeps the loop: a float64 `exp`
 * needs a longer polynomial, and float64 runs are the ones compared with autograd to 1e-15.
 * The forward pass of A's two sigmoid layers (400 values a step) takes 1.4–1.8 µs here, where
 * the loop took 5.1–6.4, `Math.exp` most of it.
 *
 * Edges as in the loop: `t` is clamped to `[−87, 88]`, where `2^n` is a normal float; a NaN
 * stays NaN (min, max and the arithmetic carry it); a result below float32's smallest normal
 * is stored as 0, as `flushSubnormal` does.
 *
 * @module
 */

import { type Code, I32 } from "./encoder.ts";
import type { Kind } from "./precision.ts";

/** float32 opcodes, for the vector form (`0xfd` prefix) and the scalar one. */
interface F32Ops {
  neg: number;
  add: number;
  sub: number;
  mul: number;
  div: number;
  min: number;
  max: number;
  nearest: number;
  lt: number;
}

const VECTOR: F32Ops = {
  neg: 0xe1,
  add: 0xe4,
  sub: 0xe5,
  mul: 0xe6,
  div: 0xe7,
  min: 0xe8,
  max: 0xe9,
  nearest: 0x6a,
  lt: 0x43,
};
const SCALAR: F32Ops = {
  neg: 0x8c,
  add: 0x92,
  sub: 0x93,
  mul: 0x94,
  div: 0x95,
  min: 0x96,
  max: 0x97,
  nearest: 0x90,
  lt: 0x5d,
};

/** Where `2^n` is a normal float32 for the `n` that `t` rounds to. */
const LOW = -87, HIGH = 88;
const LOG2E = 1.44269504088896341;
/** `ln 2` in two parts, the first exact in few bits, so that `t − n·ln 2` loses nothing. */
const LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;
/** Cephes' `expf`: `e^r ≈ 1 + r + r²·P(r)`. */
const P = [
  1.9875691500e-4,
  1.3981999507e-3,
  8.3334519073e-3,
  4.1665795894e-2,
  1.6666665459e-1,
  5.0000001201e-1,
];
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/** The bytes of `value` as a float32 constant. */
function f32Bytes(value: number): number[] {
  return [...new Uint8Array(Float32Array.of(value).buffer)];
}

/**
 * One step of a stack program: a number is a constant (a splat for a vector), a name an
 * operation on the values pushed before it, `{ get }` and `{ set }` a local.
 */
type Step = number | keyof F32Ops | { get: number } | { set: number };

/** Emits `steps` for values of `kind`. */
function emit(c: Code, kind: Kind, steps: readonly Step[]): Code {
  for (const step of steps) {
    if (typeof step === "number") kind.splat(c.op(0x43, ...f32Bytes(step)));
    else if (typeof step === "string") {
      if (kind.width > 1) c.simd(VECTOR[step]);
      else c.op(SCALAR[step]);
    } else if ("get" in step) c.get(step.get);
    else c.set(step.set);
  }
  return c;
}

/**
 * Leaves `g · σ'(z) = g · (a · (1 − a))` on the stack, from `a = σ(z)` and `g` in locals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Code, encodeModule, ValType } from "./encoder.ts";
 * import { logisticBackward } from "./logistic.ts";
 * import { precision } from "./precision.ts";
 * const c = new Code([ValType.f32, ValType.f32]);
 * logisticBackward(c, precision("float32", false).scalar, 0, 1);
 * const bytes = encodeModule([{ name: "back", params: [ValType.f32, ValType.f32], results: [ValType.f32], code: c }], false);
 * const { back } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
 *   env: { memory: new WebAssembly.Memory({ initial: 1 }) },
 * }).exports as { back: (a: number, g: number) => number };
 * assert.equal(back(0.5, 2), 0.5);
 * ```
 */
export function logisticBackward(c: Code, kind: Kind, a: number, g: number): Code {
  return emit(c, kind, [{ get: g }, { get: a }, 1, { get: a }, "sub", "mul", "mul"]);
}

/** Pushes `2^n` for the integral float `n` in the local: `(n + 127) << 23` as a float's bits. */
function powerOfTwo(c: Code, kind: Kind, n: number): Code {
  if (kind.width > 1) {
    // i32x4.trunc_sat_f32x4_s, i32x4.splat, i32x4.add, i32x4.shl: the v128 is read as floats.
    return c.get(n).simd(0xf8).i32(127).simd(0x11).simd(0xae).i32(23).simd(0xab);
  }
  // i32.trunc_sat_f32_s, then f32.reinterpret_i32.
  return c.get(n).op(0xfc, 0x00).i32(127).op(I32.add).i32(23).op(I32.shl).op(0xbe);
}

/**
 * Leaves `σ(z)` of the value of `kind` in local `z` on the stack.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Code, encodeModule, ValType } from "./encoder.ts";
 * import { logistic } from "./logistic.ts";
 * import { precision } from "./precision.ts";
 * const c = new Code([ValType.f32]);
 * logistic(c, precision("float32", false).scalar, 0);
 * const bytes = encodeModule([{ name: "sigmoid", params: [ValType.f32], results: [ValType.f32], code: c }], false);
 * const { sigmoid } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
 *   env: { memory: new WebAssembly.Memory({ initial: 1 }) },
 * }).exports as { sigmoid: (z: number) => number };
 * assert.equal(sigmoid(0), 0.5);
 * assert.ok(Math.abs(sigmoid(2) - 1 / (1 + Math.exp(-2))) < 1e-7);
 * ```
 */
export function logistic(c: Code, kind: Kind, z: number): Code {
  const [t, n, r, p, e, a] = Array.from({ length: 6 }, () => c.local(kind.type));
  const get = (local: number) => ({ get: local }), set = (local: number) => ({ set: local });
  // t = clamp(−z); n = nearest(t·log₂e); r = (t − n·ln2_hi) − n·ln2_lo
  emit(c, kind, [get(z), "neg", LOW, "max", HIGH, "min", set(t)]);
  emit(c, kind, [get(t), LOG2E, "mul", "nearest", set(n)]);
  emit(c, kind, [get(t), get(n), LN2_HI, "mul", "sub", get(n), LN2_LO, "mul", "sub", set(r)]);
  // e^r = (P(r)·r² + r) + 1, P by Horner; e^t = e^r · 2^n
  emit(c, kind, [P[0], set(p)]);
  for (const coefficient of P.slice(1)) {
    emit(c, kind, [get(p), get(r), "mul", coefficient, "add", set(p)]);
  }
  emit(c, kind, [get(p), get(r), get(r), "mul", "mul", get(r), "add", 1, "add"]);
  emit(powerOfTwo(c, kind, n), kind, ["mul", set(e)]);
  // σ = 1 / (1 + e^t)
  emit(c, kind, [1, 1, get(e), "add", "div", set(a)]);
  // A result below the smallest normal is stored as 0: v128.andnot with the mask of those
  // lanes, or select(0, a, a < min).
  if (kind.width > 1) return emit(c, kind, [get(a), get(a), FLOAT32_MIN_NORMAL, "lt"]).simd(0x4f);
  return emit(c, kind, [0, get(a), get(a), FLOAT32_MIN_NORMAL, "lt"]).op(0x1b);
}
