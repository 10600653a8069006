/**
 * The generated WebAssembly kernels agree with plain float64 loops.
 *
 * Every product runs on shapes that hit each tile and edge (1×1×1, sizes one
 * short of and one past a tile, `k = 0`, a `k` long enough for `δ·Aᵀ` to run in
 * chunks) and on the network's own shapes, in both precisions, with and
 * without `accumulate`, for relaxed and plain SIMD where the engine has them.
 * The error bound is relative to `|C₀| + Σₚ |A(i,p)·B(p,j)|`, the size of the
 * terms summed, so it holds however much the sum cancels.
 */

import assert from "node:assert/strict";
import { Random } from "../src/random.ts";
import type { DType } from "../src/kernels/types.ts";
import { signedLeb, unsignedLeb } from "../src/kernels/wasm/encoder.ts";
import { detectFeatures } from "../src/kernels/wasm/features.ts";
import { createWasmKernels } from "../src/kernels/wasm/kernels.ts";
import { kernelModuleBytes } from "../src/kernels/wasm/module.ts";
import { checkProduct, fill, networkShapes, shapes, tolerance } from "./helpers/gemm_reference.ts";

const features = detectFeatures();
const variants = features === "relaxed-simd" ? [true, false] : features ? [false] : [];
const dtypes: DType[] = ["float32", "float64"];

Deno.test("wasm: this engine has WebAssembly SIMD", () => {
  assert.ok(features !== undefined, "Deno's V8 has SIMD; without it the kernels are skipped");
});

Deno.test("wasm encoder: LEB128 at the byte boundaries", () => {
  assert.deepEqual(unsignedLeb(0), [0]);
  assert.deepEqual(unsignedLeb(127), [0x7f]);
  assert.deepEqual(unsignedLeb(128), [0x80, 0x01]);
  assert.deepEqual(unsignedLeb(2 ** 32 - 1), [0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.deepEqual(signedLeb(63), [0x3f]);
  assert.deepEqual(signedLeb(64), [0xc0, 0x00]);
  assert.deepEqual(signedLeb(-64), [0x40]);
  assert.deepEqual(signedLeb(-65), [0xbf, 0x7f]);
});

for (const relaxed of variants) {
  for (const shared of [false, true]) {
    Deno.test(`wasm module (relaxed=${relaxed}, shared=${shared}): validates and compiles fast`, () => {
      const start = performance.now();
      const bytes = kernelModuleBytes(relaxed, shared);
      const generated = performance.now();
      assert.ok(WebAssembly.validate(bytes));
      new WebAssembly.Module(bytes);
      const compiled = performance.now();
      assert.ok(generated - start < 200, `generating took ${generated - start} ms`);
      assert.ok(compiled - generated < 100, `compiling took ${compiled - generated} ms`);
    });
  }
}

for (const relaxed of variants) {
  for (const dtype of dtypes) {
    Deno.test(`wasm gemm (relaxed=${relaxed}, ${dtype}): NN, TN, NT match float64 loops`, () => {
      const w = createWasmKernels({ relaxed, initialBytes: 1 << 24 })!;
      assert.equal(w.features, relaxed ? "relaxed-simd" : "simd");
      for (const product of ["NN", "TN", "NT"] as const) {
        for (const shape of [...shapes, networkShapes[product]]) {
          for (const accumulate of [false, true]) {
            checkProduct(w, product, dtype, shape, accumulate);
            w.reset();
          }
        }
      }
    });

    Deno.test(`wasm elementwise (relaxed=${relaxed}, ${dtype}): match plain loops`, () => {
      const w = createWasmKernels({ relaxed })!;
      const random = new Random(7);
      for (const len of [0, 1, 3, 5, 17]) {
        const z = w.alloc(len, dtype), g = w.alloc(len, dtype), out = w.alloc(len, dtype);
        fill(z, random), fill(g, random);
        w.relu(z, out);
        z.forEach((x, t) => assert.equal(out[t], x > 0 ? x : 0));
        w.reluBackward(z, g, out);
        z.forEach((x, t) => assert.equal(out[t], x > 0 ? g[t] : 0));
        const y = Float64Array.from(g);
        w.axpy(-0.5, z, g);
        g.forEach((v, t) => assert.ok(Math.abs(v - (y[t] - 0.5 * z[t])) <= tolerance[dtype]));
      }
      for (const [rows, cols] of [[1, 1], [3, 5], [4, 9], [2, 0]]) {
        const x = w.alloc(rows * cols, dtype), bias = w.alloc(rows, dtype);
        fill(x, random), fill(bias, random);
        const before = Float64Array.from(x);
        w.addColumn(rows, cols, x, bias);
        x.forEach((v, t) =>
          assert.ok(Math.abs(v - (before[t] + bias[Math.floor(t / cols)])) < 1e-6)
        );
        const sums = w.alloc(rows, dtype);
        w.rowSums(rows, cols, x, sums);
        for (let i = 0; i < rows; i++) {
          const want = [...x.subarray(i * cols, (i + 1) * cols)].reduce((s, v) => s + v, 0);
          assert.ok(
            Math.abs(sums[i] - want) <= 1e-5 * (1 + cols),
            `row ${i}: ${sums[i]} vs ${want}`,
          );
        }
      }
    });
  }
}

Deno.test("wasm copySum: copies every element and sums them; a NaN or an infinity anywhere shows", () => {
  const w = createWasmKernels()!;
  const random = new Random(3);
  for (const dtype of dtypes) {
    for (const len of [0, 1, 3, 4, 5, 17, 1000]) {
      const x = w.alloc(len, dtype), out = w.alloc(len, dtype), total = w.alloc(1, dtype);
      fill(x, random);
      w.copySum(x, out, total);
      assert.deepEqual([...out], [...x]);
      const want = [...x].reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(total[0] - want) <= 1e-5 * (1 + len), `${len}: ${total[0]} vs ${want}`);
      for (const bad of len > 0 ? [NaN, Infinity, -Infinity] : []) {
        for (const at of new Set([0, len >> 1, len - 1])) {
          const kept = x[at];
          x[at] = bad;
          w.copySum(x, out, total);
          assert.ok(!Number.isFinite(total[0]), `${dtype} ${len}: ${bad} at ${at}`);
          x[at] = kept;
        }
      }
    }
  }
});

Deno.test("wasm relu: NaN and -0 go to 0, as in TypeScript's z > 0 ? z : 0", () => {
  const w = createWasmKernels()!;
  for (const dtype of dtypes) {
    const z = w.alloc(6, dtype), out = w.alloc(6, dtype);
    z.set([NaN, -0, -1, 2, NaN, Infinity]);
    w.relu(z, out);
    assert.deepEqual([...out], [0, 0, 0, 2, 0, Infinity]);
    assert.ok(!Object.is(out[1], -0));
  }
});

Deno.test("wasm arena: aligned views, ownership, reset", () => {
  const w = createWasmKernels()!;
  const a = w.alloc(3, "float32"), b = w.alloc(5, "float64");
  assert.equal(a.byteOffset % 64, 0);
  assert.equal(b.byteOffset % 64, 0);
  assert.ok(b.byteOffset >= a.byteOffset + a.byteLength);
  assert.ok(w.owns(a) && w.owns(b) && w.owns(b.subarray(1)));
  assert.ok(!w.owns(new Float32Array(3)));
  b.fill(9);
  w.reset();
  const c = w.alloc(5, "float64");
  assert.equal(c.byteOffset, a.byteOffset);
  assert.deepEqual([...c], [0, 0, 0, 0, 0]);
});

Deno.test("wasm arena: a shared memory grows and earlier views stay valid", () => {
  const w = createWasmKernels({ shared: true, initialBytes: 1 << 20 })!;
  const first = w.alloc(1000, "float32");
  first.fill(3);
  const big = w.alloc(1 << 20, "float64");
  assert.ok(w.memory.buffer.byteLength >= 8 << 20);
  assert.equal(first.length, 1000);
  assert.equal(first[999], 3);
  assert.ok(w.owns(first) && w.owns(big));
  const c = w.alloc(1, "float32");
  w.gemmNN(1, 1, 1000, first, first.subarray(0, 1000), c);
  assert.equal(c[0], 9000);
});

Deno.test("wasm arena: a non-shared memory never grows, so views never detach", () => {
  const w = createWasmKernels({ shared: false, initialBytes: 1 << 20 })!;
  const first = w.alloc(1000, "float32");
  assert.throws(() => w.alloc(1 << 20, "float64"), RangeError);
  assert.equal(first.length, 1000);
});

Deno.test("wasm gemm: bad operands are refused before the kernel runs", () => {
  const w = createWasmKernels()!;
  const a = w.alloc(6, "float32"), b = w.alloc(6, "float32"), c = w.alloc(4, "float32");
  const d = w.alloc(6, "float64");
  assert.throws(() => w.gemmNN(2, 2, 3, a, b, new Float32Array(4)), TypeError);
  assert.throws(() => w.gemmNN(2, 2, 3, a, d, c), TypeError);
  assert.throws(() => w.gemmNN(2, 2, 4, a, b, c), RangeError);
  assert.throws(() => w.gemmNN(2, 2, 3, a, b, a), RangeError);
  assert.throws(() => w.relu(a, c), RangeError);
});

/** `σ(v)` as the TypeScript loop computes it: in float64, rounded once, a subnormal as 0. */
function sigmoidLoop(v: number): number {
  const a = Math.fround(1 / (1 + Math.exp(-v)));
  return a < 1.1754943508222875e-38 ? 0 : a;
}

/** How many float32 values lie between `a` and `b` (both finite, same sign or zero). */
function ulps(a: number, b: number): number {
  const bits = new Int32Array(Float32Array.of(a, b).buffer);
  return Math.abs(bits[0] - bits[1]);
}

Deno.test("wasm sigmoid (float32): within 2 ulp of the float64 loop on [-110, 110], the edges exactly as it", () => {
  const w = createWasmKernels()!;
  const n = 100_003; // a scalar tail of 3
  const z = w.alloc(n, "float32"), out = w.alloc(n, "float32");
  for (let i = 0; i < n; i++) z[i] = -110 + 220 * i / (n - 1);
  assert.equal(w.sigmoid(z, out), true);
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, ulps(out[i], sigmoidLoop(z[i])));
  assert.ok(worst <= 2, `worst ${worst} ulp`);
  const edges = [NaN, Infinity, -Infinity, 0, -0, 1e-30, 88, 89, 1e30, 3.4e38, -87.4, -88, -1e30];
  const ze = w.alloc(edges.length, "float32"), oe = w.alloc(edges.length, "float32");
  ze.set(edges);
  w.sigmoid(ze, oe);
  assert.deepEqual([...oe], [NaN, 1, 0, 0.5, 0.5, 0.5, 1, 1, 1, 1, 0, 0, 0]);
});

Deno.test("wasm sigmoid: a value gives the same bits in the vector body and in the scalar tail", () => {
  const w = createWasmKernels()!;
  const random = new Random(5);
  const values = Array.from({ length: 41 }, () => (random.next() - 0.5) * 60);
  const z = w.alloc(values.length, "float32"), out = w.alloc(values.length, "float32");
  z.set(values);
  w.sigmoid(z, out);
  const one = w.alloc(1, "float32"), alone = w.alloc(1, "float32");
  values.forEach((v, i) => {
    one[0] = v;
    w.sigmoid(one, alone);
    assert.ok(Object.is(alone[0], out[i]), `${v}: ${alone[0]} alone, ${out[i]} in a vector`);
  });
});

Deno.test("wasm sigmoidBackward (float32): g·a(1−a) within 2 ulp; float64 is left to the loops", () => {
  const w = createWasmKernels()!;
  const random = new Random(6);
  const n = 1_001;
  const a = w.alloc(n, "float32"), g = w.alloc(n, "float32"), out = w.alloc(n, "float32");
  for (let i = 0; i < n; i++) [a[i], g[i]] = [random.next(), random.next() - 0.5];
  assert.equal(w.sigmoidBackward(a, g, out), true);
  for (let i = 0; i < n; i++) {
    const want = Math.fround(g[i] * (a[i] * (1 - a[i])));
    assert.ok(
      ulps(Math.abs(out[i]), Math.abs(want)) <= 2,
      `${a[i]}, ${g[i]}: ${out[i]} vs ${want}`,
    );
  }
  const a64 = w.alloc(4, "float64"), o64 = w.alloc(4, "float64");
  a64.set([1, 2, 3, 4]);
  assert.equal(w.sigmoid(a64, o64), false);
  assert.equal(w.sigmoidBackward(a64, a64, o64), false);
  assert.deepEqual([...o64], [0, 0, 0, 0]);
});

/** Softmax of each column as the TypeScript loop computes it (float64 sums, float32 stores). */
function softmaxLoop(z: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    let max = -Infinity, sum = 0;
    for (let i = 0; i < rows; i++) max = Math.max(max, z[i * cols + j]);
    for (let i = 0; i < rows; i++) sum += out[i * cols + j] = Math.exp(z[i * cols + j] - max);
    for (let i = 0; i < rows; i++) {
      const a = Math.fround(out[i * cols + j] / sum);
      out[i * cols + j] = a < 1.1754943508222875e-38 ? 0 : a;
    }
  }
  return out;
}

Deno.test("wasm softmax (float32): as the loop within 4 + |z − max| ulp, vector and tail columns alike", () => {
  // The loop subtracts the column's maximum in float64, the kernel in float32: that rounding,
  // up to |t|·2⁻²⁴ of t = z − max, becomes as much relative error in e^t, about |t| ulp.
  const w = createWasmKernels()!;
  const random = new Random(8);
  for (const [rows, cols] of [[2, 1], [10, 64], [10, 10], [3, 7], [12, 5], [784, 3]]) {
    const z = w.alloc(rows * cols, "float32"), out = w.alloc(rows * cols, "float32");
    for (let i = 0; i < z.length; i++) z[i] = (random.next() - 0.5) * 40;
    assert.equal(w.softmax(rows, cols, z, out), true);
    const want = softmaxLoop(z, rows, cols);
    for (let j = 0; j < cols; j++) {
      let max = -Infinity;
      for (let i = 0; i < rows; i++) max = Math.max(max, z[i * cols + j]);
      for (let i = 0, at = j; i < rows; i++, at += cols) {
        const bound = 4 + Math.abs(z[at] - max);
        assert.ok(
          ulps(out[at], want[at]) <= bound,
          `${rows}×${cols} [${i}, ${j}]: ${out[at]} vs ${want[at]}`,
        );
      }
    }
  }
});

Deno.test("wasm softmax: a NaN or +Infinity makes its column NaN, -Infinity gives 0, a far value 0", () => {
  const w = createWasmKernels()!;
  // Five columns (a vector of four and a tail of one), two rows: column j is [top[j], bottom[j]].
  const top = [NaN, Infinity, -Infinity, 0, 1], bottom = [0, 0, 0, -200, NaN];
  const z = w.alloc(10, "float32"), out = w.alloc(10, "float32");
  z.set([...top, ...bottom]);
  w.softmax(2, 5, z, out);
  assert.deepEqual([...out], [...softmaxLoop(z, 2, 5)]);
  assert.deepEqual([...out], [NaN, NaN, 0, 1, NaN, NaN, NaN, 1, 0, NaN]);
  const f64 = w.alloc(2, "float64");
  assert.equal(w.softmax(2, 1, f64, w.alloc(2, "float64")), false);
});
