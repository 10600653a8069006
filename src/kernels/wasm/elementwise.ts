/**
 * The elementwise steps of backprop as WebAssembly functions, for one precision.
 *
 * Around the products, a training step adds the bias to each column, applies
 * ReLU and its derivative, sums `δ` along its rows for the bias gradient and
 * moves each parameter by `−η·∇`. Each is one pass over memory, so the point
 * of doing them in wasm is to keep the data where the products left it; a
 * vector body with a scalar tail is all the speed there is to get. Float32
 * sigmoid and softmax build their own `exp` (`exp.ts`); tanh and float64 need
 * `Math.exp` and stay in TypeScript. Callers: `addColumn` and `rowSums` in
 * `matrix.ts`, ReLU, sigmoid and softmax in `activations.ts` and the plain SGD
 * step in `optimizers.ts`, each where its operands live in one wasm memory.
 *
 * Every function is generated from one streaming loop: the vector kind runs
 * while a full vector is left, then the scalar kind finishes the tail.
 *
 * @module
 */

import { Code, type Func, I32, i32s, ValType } from "./encoder.ts";
import { emit, exp, flushSubnormal, get, set } from "./exp.ts";
import type { Kind, Precision } from "./precision.ts";

/** Leaves the result for one value of `kind`, given locals holding the inputs, then the uniforms. */
type Op = (c: Code, kind: Kind, values: readonly number[]) => Code;

/**
 * `out[t] = op(in₀[t], …, u₀, …)` for `len` elements, advancing `out` and the
 * input pointers past them; `uniforms` are element-typed locals splatted to
 * every lane. `len` ends at zero.
 */
function mapLoop(
  c: Code,
  p: Precision,
  out: number,
  inputs: readonly number[],
  uniforms: readonly number[],
  len: number,
  op: Op,
): void {
  for (const kind of [p.vector, p.scalar]) {
    const values = inputs.map(() => c.local(kind.type));
    const splats = uniforms.map((u) => {
      const local = c.local(kind.type);
      kind.splat(c.get(u)).set(local);
      return local;
    });
    c.while(() => c.get(len).i32(kind.width).op(I32.geU), () => {
      inputs.forEach((ptr, t) => kind.load(c.get(ptr)).set(values[t]));
      kind.store(op(c.get(out), kind, [...values, ...splats]));
      for (const ptr of new Set([out, ...inputs])) c.advance(ptr, kind.bytes, true);
      c.get(len).i32(kind.width).op(I32.sub).set(len);
    });
  }
}

/** `name(out, in₀, …, len, u₀, …)`: {@linkcode mapLoop} over the whole arrays. */
function map(p: Precision, name: string, inputs: number, uniforms: number, op: Op): Func {
  const params = [...i32s(inputs + 2), ...new Array(uniforms).fill(p.scalar.type)];
  const c = new Code(params);
  const ins = params.slice(1, inputs + 1).map((_, t) => 1 + t);
  const us = params.slice(inputs + 2).map((_, t) => inputs + 2 + t);
  mapLoop(c, p, 0, ins, us, inputs + 1, op);
  return { name, params, code: c };
}

/** `add_column(x, bias, rows, cols)`: `x(i, j) += bias[i]`, the bias of each unit added to every sample. */
function addColumn(p: Precision): Func {
  const params = i32s(4);
  const c = new Code(params);
  const [x, bias, rows, cols] = [0, 1, 2, 3];
  const b = c.local(p.scalar.type), left = c.local(ValType.i32);
  c.while(() => c.get(rows), () => {
    p.scalar.load(c.get(bias)).set(b).advance(bias, p.bytes, true).get(cols).set(left);
    mapLoop(c, p, x, [x], [b], left, (c, kind, [v, u]) => kind.add(c.get(v).get(u)));
    c.get(rows).i32(1).op(I32.sub).set(rows);
  });
  return { name: "add_column", params, code: c };
}

/** `row_sums(out, x, rows, cols)`: `out[i] = Σⱼ x(i, j)`, the bias gradient from `δ`. */
function rowSums(p: Precision): Func {
  const params = i32s(4);
  const c = new Code(params);
  const [out, x, rows, cols] = [0, 1, 2, 3];
  const left = c.local(ValType.i32), total = c.local(p.scalar.type);
  c.while(() => c.get(rows), () => {
    p.scalar.zero(c).set(total).get(cols).set(left);
    for (const kind of [p.vector, p.scalar]) {
      const sum = c.local(kind.type);
      kind.zero(c).set(sum);
      c.while(() => c.get(left).i32(kind.width).op(I32.geU), () => {
        kind.add(kind.load(c.get(sum).get(x))).set(sum).advance(x, kind.bytes, true);
        c.get(left).i32(kind.width).op(I32.sub).set(left);
      });
      p.scalar.add(kind.sumLanes(c.get(total).get(sum))).set(total);
    }
    p.scalar.store(c.get(out).get(total)).advance(out, p.bytes, true);
    c.get(rows).i32(1).op(I32.sub).set(rows);
  });
  return { name: "row_sums", params, code: c };
}

/**
 * `copy_sum(out, x, len, total)`: `out = x`, and `Σ x` stored at `total`. Training keeps a copy
 * of the parameters after each step and checks them, a NaN or an infinity making the sum
 * non-finite: in one pass, where a copy and then row sums took two (on B, 40 µs a step against 55).
 */
function copySum(p: Precision): Func {
  const params = i32s(4);
  const c = new Code(params);
  const [out, x, len, at] = [0, 1, 2, 3];
  const total = c.local(p.scalar.type);
  p.scalar.zero(c).set(total);
  for (const kind of [p.vector, p.scalar]) {
    const sum = c.local(kind.type), v = c.local(kind.type);
    kind.zero(c).set(sum);
    c.while(() => c.get(len).i32(kind.width).op(I32.geU), () => {
      kind.load(c.get(x)).set(v);
      kind.store(c.get(out).get(v));
      kind.add(c.get(sum).get(v)).set(sum);
      c.advance(x, kind.bytes, true).advance(out, kind.bytes, true);
      c.get(len).i32(kind.width).op(I32.sub).set(len);
    });
    p.scalar.add(kind.sumLanes(c.get(total).get(sum))).set(total);
  }
  p.scalar.store(c.get(at).get(total));
  return { name: "copy_sum", params, code: c };
}

/**
 * `axpy_copy_sum(y, x, len, alpha, copy) → Σ y`: `y += alpha·x` as `axpy` does it, then
 * `copy = y`, in one pass: plain SGD's step and the check of the parameters it makes
 * (`copy_sum`), which took two.
 */
function axpyCopySum(p: Precision): Func {
  const params = [...i32s(3), p.scalar.type, ValType.i32];
  const c = new Code(params);
  const [y, x, len, alpha, copy] = [0, 1, 2, 3, 4];
  const total = c.local(p.scalar.type);
  p.scalar.zero(c).set(total);
  for (const kind of [p.vector, p.scalar]) {
    const sum = c.local(kind.type), v = c.local(kind.type), a = c.local(kind.type);
    kind.zero(c).set(sum);
    kind.splat(c.get(alpha)).set(a);
    c.while(() => c.get(len).i32(kind.width).op(I32.geU), () => {
      // v = y + x·alpha, rounded as axpy rounds it; then y = v, copy = v, sum += v
      kind.add(kind.mul(kind.load(kind.load(c.get(y)).get(x)).get(a))).set(v);
      kind.store(c.get(y).get(v));
      kind.store(c.get(copy).get(v));
      kind.add(c.get(sum).get(v)).set(sum);
      c.advance(y, kind.bytes, true).advance(x, kind.bytes, true).advance(copy, kind.bytes, true);
      c.get(len).i32(kind.width).op(I32.sub).set(len);
    });
    p.scalar.add(kind.sumLanes(c.get(total).get(sum))).set(total);
  }
  c.get(total);
  return { name: "axpy_copy_sum", params, results: [p.scalar.type], code: c };
}

/**
 * `σ(z) = 1 / (1 + e^(−z))`, a result below the smallest normal stored as 0. Within 2 ulp of the
 * float64 loop (`Math.exp`, one rounding): A's two sigmoid layers (400 values a step) take
 * 1.4–1.8 µs a step here, where the loop took 5.1–6.4, `Math.exp` most of it.
 */
const sigmoid: Op = (c, kind, [z]) => {
  const [t, a] = [c.local(kind.type), c.local(kind.type)];
  emit(c, kind, [get(z), "neg", set(t)]);
  exp(c, kind, t);
  emit(c, kind, [set(a), 1, 1, get(a), "add", "div", set(a)]);
  return flushSubnormal(c, kind, a);
};

/**
 * `softmax(out, z, rows, cols)`, float32: each column of the `rows×cols` matrix `z` to
 * `e^(z − max) / Σ e^(z − max)`, a result below the smallest normal stored as 0. A column's
 * values are `cols` apart, so the vectors hold four columns side by side and each pass runs
 * down the rows: the maximum, then `e^(z − max)` into `out` while summing, then the division.
 */
function softmax(p: Precision): Func {
  const params = i32s(4);
  const c = new Code(params);
  const [out, z, rows, cols] = [0, 1, 2, 3];
  const stride = c.local(ValType.i32), left = c.local(ValType.i32), i = c.local(ValType.i32);
  const from = c.local(ValType.i32), to = c.local(ValType.i32);
  c.get(cols).i32(p.bytes).op(I32.mul).set(stride).get(cols).set(left);
  /** `body` once per row, `from` and `to` starting at `z` and `out` and moving down a row each time. */
  const down = (body: () => void) => {
    c.get(z).set(from).get(out).set(to).get(rows).set(i);
    c.while(() => c.get(i), () => {
      body();
      c.advance(from, stride).advance(to, stride).get(i).i32(1).op(I32.sub).set(i);
    });
  };
  for (const kind of [p.vector, p.scalar]) {
    const [max, sum, v] = [c.local(kind.type), c.local(kind.type), c.local(kind.type)];
    c.while(() => c.get(left).i32(kind.width).op(I32.geU), () => {
      emit(c, kind, [-Infinity, set(max), 0, set(sum)]);
      down(() => emit(kind.load(c.get(from)), kind, [get(max), "max", set(max)]));
      down(() => {
        emit(kind.load(c.get(from)), kind, [get(max), "sub", set(v)]);
        emit(exp(c, kind, v), kind, [set(v)]);
        kind.store(c.get(to).get(v));
        emit(c, kind, [get(sum), get(v), "add", set(sum)]);
      });
      down(() => {
        emit(kind.load(c.get(to)), kind, [get(sum), "div", set(v)]);
        kind.store(flushSubnormal(c.get(to), kind, v));
      });
      c.advance(z, kind.bytes, true).advance(out, kind.bytes, true);
      c.get(left).i32(kind.width).op(I32.sub).set(left);
    });
  }
  return { name: "softmax", params, code: c };
}

/**
 * The elementwise functions for precision `p`, named with a `_f32`/`_f64` suffix:
 *
 * - `relu(out, z, len)`: `out = max(z, 0)`, with NaN going to 0 as in TypeScript's `z > 0 ? z : 0`;
 * - `relu_backward(out, z, g, len)`: `out = z > 0 ? g : 0`, ReLU's `g ⊙ σ'(z)`;
 * - `axpy(y, y, x, len, alpha)`: `y += alpha·x` (`y` twice: it is read and written);
 * - `add_column(x, bias, rows, cols)`, `row_sums(out, x, rows, cols)` and
 *   `copy_sum(out, x, len, total)` and `axpy_copy_sum(y, x, len, alpha, copy)` as above;
 * - float32 only: `sigmoid(out, z, len)`, `out = σ(z)`; `sigmoid_backward(out, a, g, len)`,
 *   `out = g · a(1 − a)`; `softmax(out, z, rows, cols)` as above (`e^t` from `exp.ts`).
 *
 * Pointers are byte offsets, lengths are element counts; `out` may be one of the inputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeModule } from "./encoder.ts";
 * import { elementwiseFuncs } from "./elementwise.ts";
 * import { precision } from "./precision.ts";
 * const bytes = encodeModule(elementwiseFuncs(precision("float64", false)), false);
 * assert.ok(WebAssembly.validate(bytes));
 * ```
 */
export function elementwiseFuncs(p: Precision): Func[] {
  const suffix = p.dtype === "float64" ? "f64" : "f32";
  const funcs = [
    map(p, "relu", 1, 0, (c, kind, [z]) => kind.keep(kind.positive(c.get(z).get(z)))),
    map(p, "relu_backward", 2, 0, (c, kind, [z, g]) => kind.keep(kind.positive(c.get(g).get(z)))),
    map(
      p,
      "axpy",
      2,
      1,
      (c, kind, [y, x, alpha]) => kind.add(kind.mul(c.get(y).get(x).get(alpha))),
    ),
    addColumn(p),
    rowSums(p),
    copySum(p),
    axpyCopySum(p),
    ...(p.dtype === "float32"
      ? [
        map(p, "sigmoid", 1, 0, sigmoid),
        map(p, "sigmoid_backward", 2, 0, (c, kind, [a, g]) =>
          emit(c, kind, [get(g), get(a), 1, get(a), "sub", "mul", "mul"])),
        softmax(p),
      ]
      : []),
  ];
  return funcs.map((f) => ({ ...f, name: `${f.name}_${suffix}` }));
}
