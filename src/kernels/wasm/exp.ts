/**
 * `e^t` in float32 WebAssembly, for vectors and scalars alike, so that a value's result does
 * not depend on whether it fell in a loop's tail; and the small stack language its callers
 * write their float32 formulas in (`emit`).
 *
 * WebAssembly has no `exp`, so `e^t` is built the way Cephes' `expf` builds it: `t = n·ln 2 + r`
 * with `n` the nearest integer to `t·log₂e` and `|r| ≤ ½ ln 2`; `e^r` from a degree-7
 * polynomial (its coefficients are Cephes'); `2^n` written straight into a float's exponent
 * bits. That is within 2 ulp of `e^t` in float32. Below `ln` of float32's smallest normal the
 * result is 0 (the loops store such values as 0 in the end), above 88 it stays at `e^88`; a NaN
 * stays NaN (min, max and the arithmetic carry it). Float64 keeps `Math.exp` in TypeScript: its
 * `exp` needs a longer polynomial, and float64 runs are the ones compared with autograd to 1e-15.
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

/**
 * The range worked in: from `ln` of float32's smallest normal (below it the result is 0) to 88,
 * where `2^n` is still a normal float (`n` ≤ 127).
 */
const LOW = -87.33654475, HIGH = 88;
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
export type Step = number | keyof F32Ops | { get: number } | { set: number };

/** Reads local `local`, as a {@linkcode Step}. */
export const get = (local: number): Step => ({ get: local });
/** Writes local `local`, as a {@linkcode Step}. */
export const set = (local: number): Step => ({ set: local });

/**
 * Emits `steps` for float32 values of `kind`: `[get(a), 1, "add"]` leaves `a + 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Code } from "./encoder.ts";
 * import { emit } from "./exp.ts";
 * import { precision } from "./precision.ts";
 * const c = new Code([]);
 * emit(c, precision("float32", false).scalar, [1, 2, "add"]);
 * assert.ok(c.encode().length > 0);
 * ```
 */
export function emit(c: Code, kind: Kind, steps: readonly Step[]): Code {
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
 * Leaves `e^t` of the value of `kind` in local `t` on the stack.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Code, encodeModule, ValType } from "./encoder.ts";
 * import { exp } from "./exp.ts";
 * import { precision } from "./precision.ts";
 * const c = new Code([ValType.f32]);
 * exp(c, precision("float32", false).scalar, 0);
 * const bytes = encodeModule([{ name: "exp", params: [ValType.f32], results: [ValType.f32], code: c }], false);
 * const { exp: e } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
 *   env: { memory: new WebAssembly.Memory({ initial: 1 }) },
 * }).exports as { exp: (t: number) => number };
 * assert.equal(e(0), 1);
 * assert.ok(Math.abs(e(1) - Math.E) < 3e-7 && e(-100) === 0);
 * ```
 */
export function exp(c: Code, kind: Kind, t: number): Code {
  const [x, n, r] = Array.from({ length: 3 }, () => c.local(kind.type));
  // x = clamp(t); n = nearest(x·log₂e); r = (x − n·ln2_hi) − n·ln2_lo
  emit(c, kind, [get(t), LOW, "max", HIGH, "min", set(x)]);
  emit(c, kind, [get(x), LOG2E, "mul", "nearest", set(n)]);
  emit(c, kind, [get(x), get(n), LN2_HI, "mul", "sub", get(n), LN2_LO, "mul", "sub", set(r)]);
  // e^r = (P(r)·r² + r) + 1, P by Horner, in x; e^t = e^r · 2^n
  emit(c, kind, [P[0], set(x)]);
  for (const coefficient of P.slice(1)) {
    emit(c, kind, [get(x), get(r), "mul", coefficient, "add", set(x)]);
  }
  emit(c, kind, [get(x), get(r), get(r), "mul", "mul", get(r), "add", 1, "add"]);
  emit(powerOfTwo(c, kind, n), kind, ["mul"]);
  // 0 below the smallest normal (a NaN compares false and stays): v128.andnot with the mask,
  // or select(e, 0, !(t < LOW))
  if (kind.width > 1) return emit(c, kind, [get(t), LOW, "lt"]).simd(0x4f);
  return emit(c, kind, [0, get(t), LOW, "lt"]).op(I32.eqz, 0x1b);
}

/**
 * Leaves the value of `kind` in local `a`, or 0 where it is below float32's smallest normal
 * (as `flushSubnormal` stores such values in the loops; a NaN stays).
 */
export function flushSubnormal(c: Code, kind: Kind, a: number): Code {
  // v128.andnot(a, a < min), or select(0, a, a < min)
  if (kind.width > 1) return emit(c, kind, [get(a), get(a), FLOAT32_MIN_NORMAL, "lt"]).simd(0x4f);
  return emit(c, kind, [0, get(a), get(a), FLOAT32_MIN_NORMAL, "lt"]).op(0x1b);
}
