/**
 * Threaded products give exactly the single-threaded products' bits.
 *
 * Splitting `C` into bands of rows or of whole tile columns leaves every
 * element summed in the same order by the same kind of tile, so the threaded
 * kernels are compared with `createWasmKernels` for equality, not within a
 * tolerance: every product, both precisions, with and without `accumulate`, on
 * shapes that hit each tile edge and band edge, for two and three threads.
 * The rest: the size threshold, `threads: 1`, `close`, a memory that grows
 * under a live worker, the band arithmetic, and a failing band.
 *
 * These tests need no permission (`deno test --no-prompt tests/wasm_threads_test.ts`);
 * when the run may spawn `deno`, one test also checks that a script with no
 * permission at all runs a threaded product and exits once it closes the kernels.
 */

import assert from "node:assert/strict";
import { Random } from "../src/random.ts";
import { fill } from "./helpers/gemm_reference.ts";
import type { DType, FloatArray } from "../src/kernels/types.ts";
import { detectFeatures } from "../src/kernels/wasm/features.ts";
import { createWasmKernels, type WasmKernels } from "../src/kernels/wasm/kernels.ts";
import {
  createThreadedKernels,
  DEFAULT_MIN_WORK,
  type ThreadedKernelOptions,
  type ThreadedKernels,
} from "../src/kernels/wasm/threads.ts";
import { bandJob, COLUMN_BYTES, type GemmJob } from "../src/kernels/wasm/bands.ts";
import { Control, failureText, runBands, workerSource } from "../src/kernels/wasm/worker_source.ts";

type Product = "NN" | "TN" | "NT";
type Shape = [number, number, number];

const features = detectFeatures();
const variants = features === "relaxed-simd" ? [true, false] : features ? [false] : [];
const dtypes: DType[] = ["float32", "float64"];
const products: Product[] = ["NN", "TN", "NT"];

/**
 * `[m, n, k]`: tile edges, fewer rows or columns than threads, band edges
 * (16 float32 and 8 float64 columns), a `k` that `δ·Aᵀ` runs in chunks, and
 * the products of the 784-128-64-10 network at batch 64 and of 784-30-10 at batch 10.
 */
const shapes: Shape[] = [
  [1, 1, 1],
  [2, 3, 0],
  [1, 40, 3],
  [40, 1, 3],
  [7, 9, 5],
  [13, 17, 11],
  [6, 33, 4],
  [25, 31, 9],
  [3, 5, 4100],
  [128, 64, 784],
  [784, 64, 128],
  [128, 784, 64],
  [10, 64, 64],
  [64, 64, 10],
  [30, 10, 784],
  [784, 10, 30],
  [30, 784, 10],
];

/** The index of the first element whose bits differ, or -1. */
function firstDifference(x: FloatArray, y: FloatArray): number {
  return x.findIndex((v, i) => !Object.is(v, y[i]));
}

/** Runs `product` on the same inputs in `one` and `many`, and compares the bits of `C`. */
function checkSame(
  one: WasmKernels,
  many: ThreadedKernels,
  product: Product,
  dtype: DType,
  [m, n, k]: Shape,
  accumulate: boolean,
): void {
  const [c1, cn] = [one, many].map((w) => {
    const random = new Random(m * 7919 + n * 104_729 + k);
    const a = w.alloc(m * k, dtype), b = w.alloc(k * n, dtype), c = w.alloc(m * n, dtype);
    [a, b, c].forEach((x) => fill(x, random));
    w[`gemm${product}`](m, n, k, a, b, c, accumulate);
    return c;
  });
  const at = firstDifference(c1, cn);
  const where = `${product} ${dtype} ${m}×${n}×${k} acc=${accumulate}, ${many.threads} threads`;
  assert.equal(at, -1, `${where}: C[${at}] is ${cn[at]}, one thread gives ${c1[at]}`);
}

/** Kernels with `options`, closed after `body` whatever happens. */
async function withThreaded(
  options: ThreadedKernelOptions,
  body: (w: ThreadedKernels) => void | Promise<void>,
): Promise<void> {
  const w = createThreadedKernels(options)!;
  try {
    await body(w);
  } finally {
    w.close();
  }
}

for (const relaxed of variants) {
  for (const threads of [2, 3]) {
    Deno.test(`wasm threads (relaxed=${relaxed}, ${threads} threads): bit-identical to one thread`, async () => {
      const one = createWasmKernels({ relaxed })!;
      await withThreaded({ threads, relaxed, minWork: 0 }, async (many) => {
        // Workers start in the background; until they do, the caller takes every band.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(many.threads, threads);
        for (const dtype of dtypes) {
          for (const product of products) {
            for (const shape of shapes) {
              for (const accumulate of [false, true]) {
                checkSame(one, many, product, dtype, shape, accumulate);
                one.reset(), many.reset();
              }
            }
          }
        }
      });
    });
  }
}

Deno.test("wasm threads: products either side of the size threshold", async () => {
  const one = createWasmKernels()!;
  await withThreaded({ threads: 2 }, (many) => {
    const small: Shape = [16, 16, 16], large: Shape = [64, 64, 64];
    assert.ok(16 ** 3 < DEFAULT_MIN_WORK && DEFAULT_MIN_WORK <= 64 ** 3);
    for (const product of products) {
      for (const shape of [small, large]) checkSame(one, many, product, "float32", shape, false);
    }
  });
});

Deno.test("wasm threads: threads: 1 starts no worker and works alone", async () => {
  const one = createWasmKernels()!;
  await withThreaded({ threads: 1, minWork: 0 }, (alone) => {
    assert.equal(alone.threads, 1);
    for (const product of products) checkSame(one, alone, product, "float64", [40, 24, 9], true);
  });
});

Deno.test("wasm threads: bad thread counts are refused", () => {
  for (const threads of [0, -1, 1.5, NaN]) {
    assert.throws(() => createThreadedKernels({ threads }), RangeError);
  }
});

Deno.test("wasm threads: close ends the workers and the kernels go on alone", () => {
  const one = createWasmKernels()!;
  const many = createThreadedKernels({ threads: 2, minWork: 0 })!;
  checkSame(one, many, "NN", "float32", [64, 64, 64], false);
  many.close();
  assert.equal(many.threads, 1);
  checkSame(one, many, "NT", "float32", [64, 64, 64], false);
  many.close();
});

Deno.test("wasm threads: close right after creating, before the worker has started", () => {
  createThreadedKernels({ threads: 2 })!.close();
});

Deno.test("wasm threads: the rest of the surface is the single-threaded one", async () => {
  await withThreaded({ threads: 2 }, (w) => {
    const z = w.alloc(4, "float32"), out = w.alloc(4, "float32");
    z.set([-1, 2, -3, 4]);
    w.relu(z, out);
    assert.deepEqual([...out], [0, 2, 0, 4]);
    assert.ok(w.owns(z) && !w.owns(new Float32Array(4)));
    assert.ok(w.memory.buffer instanceof SharedArrayBuffer);
    assert.throws(() => w.gemmNN(2, 2, 1, z, z, z), RangeError);
  });
});

Deno.test("wasm threads: a memory that grows under a running worker", async () => {
  const one = createWasmKernels()!;
  await withThreaded({ threads: 2, minWork: 0, initialBytes: 1 << 20 }, async (many) => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let round = 0; round < 4; round++) {
      // Each round allocates past the end, so the memory grows just before the product.
      many.alloc(1 << (19 + round), "float32");
      checkSame(one, many, "NT", "float32", [64, 200, 64], round % 2 === 1);
      checkSame(one, many, "NN", "float64", [64, 64, 128], false);
    }
    assert.ok(many.memory.buffer.byteLength > 1 << 22);
  });
});

Deno.test("wasm threads: bands cover C once, columns in whole units", () => {
  const random = new Random(3);
  for (let trial = 0; trial < 200; trial++) {
    const f64 = trial % 2, bytes = f64 ? 8 : 4, unit = COLUMN_BYTES / bytes;
    const m = 1 + Math.floor(random.next() * 300), n = 1 + Math.floor(random.next() * 300);
    const bands = 2 + Math.floor(random.next() * 4), byColumns = trial % 4 >= 2;
    const job: GemmJob = {
      f64,
      m,
      n,
      k: 5,
      pa: 1024,
      sai: 5 * bytes,
      sap: bytes,
      pb: 4096,
      sbp: n * bytes,
      sbj: bytes,
      pc: 8192,
      ldc: n * bytes,
      acc: 0,
      chunk: 5,
    };
    let next = 0;
    for (let band = 0; band < bands; band++) {
      const part = bandJob(job, band, bands, byColumns);
      const size = byColumns ? part.n : part.m, step = byColumns ? bytes : job.ldc;
      assert.equal(part.pc, job.pc + next * step);
      if (byColumns) assert.ok(next % unit === 0 || size === 0);
      next += size;
    }
    assert.equal(next, byColumns ? n : m);
  }
});

Deno.test("wasm threads: a band that throws is marked failed and still counted", () => {
  const control = new Int32Array(new SharedArrayBuffer(Control.ints * 4));
  control[Control.job + Control.fields.indexOf("m")] = 4;
  control[Control.bands] = 2;
  control[Control.left] = 2;
  const fails = () => {
    throw new Error("no");
  };
  const own = runBands(control, [fails, fails], 0);
  assert.equal(control[Control.done], 2);
  assert.equal(control[Control.failed], 1);
  assert.ok(control[Control.left] <= 0);
  // The error is kept: as itself on this thread, as its text for the caller on another.
  assert.equal((own as Error).message, "no");
  assert.equal(failureText(control), "Error: no");
});

Deno.test("wasm threads: a band that fails on a worker fails the product with the worker's error", () => {
  // Operands past the end of the memory make the module trap: on every thread, in every band.
  const w = createThreadedKernels({ threads: 2, minWork: 0 });
  if (!w) return;
  try {
    const a = w.alloc(64 * 64, "float32"), c = w.alloc(64 * 64, "float32");
    const past = new Float32Array(w.alloc(1, "float32").buffer, 0, 64 * 64);
    Object.defineProperty(past, "byteOffset", { value: 1 << 30 });
    assert.throws(
      () => w.gemmNN(64, 64, 64, a, past, c),
      (e: Error) => e.message.includes("band of the product failed") && e.cause !== undefined,
    );
  } finally {
    w.close();
  }
});

Deno.test("wasm threads: the worker source is one self-contained script", () => {
  const source = workerSource();
  assert.ok(!/\bimport\b/.test(source), "the worker must not import anything");
  assert.ok(source.startsWith("const Control = "));
});

const mayRunDeno = (await Deno.permissions.query({ name: "run", command: "deno" })).state ===
  "granted";

Deno.test({
  name: "wasm threads: a script with no permission runs them and exits after close",
  ignore: !mayRunDeno,
  async fn() {
    const script = `
      import { createThreadedKernels } from "./src/kernels/wasm/threads.ts";
      const w = createThreadedKernels({ threads: 2, minWork: 0 });
      const a = w.alloc(64 * 64, "float32").fill(1), c = w.alloc(64 * 64, "float32");
      w.gemmNN(64, 64, 64, a, a, c);
      w.close();
      console.log(c[0], c[4095]);
    `;
    const child = new Deno.Command("deno", {
      args: ["run", "--no-prompt", "--no-check", "-"],
      cwd: new URL("..", import.meta.url),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    const text = new TextDecoder().decode(stdout).trim();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.equal(text, "64 64");
  },
});

Deno.test({
  name: "wasm threads: where no Worker exists a network asked for 2 threads runs and says 1",
  ignore: !mayRunDeno,
  async fn() {
    const script = `
      delete globalThis.Worker;
      const { Network } = await import("./mod.ts");
      const net = new Network({ sizes: [2, 2], activations: "sigmoid", threads: 2, backend: "wasm" });
      console.log(net.kernels);
      net.close();
    `;
    const { code, stdout, stderr } = await new Deno.Command("deno", {
      args: ["eval", "--no-check", script],
      cwd: new URL("..", import.meta.url),
      signal: AbortSignal.timeout(30_000),
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.match(new TextDecoder().decode(stdout).trim(), /^wasm-(relaxed-)?simd$/);
  },
});

Deno.test("wasm threads: a worker that fails to start fails the next product, its error the cause", async () => {
  // A Worker whose first message lacks the module: instantiating it throws inside the worker.
  const RealWorker = globalThis.Worker;
  globalThis.Worker = class extends RealWorker {
    override postMessage(message: Record<string, unknown>) {
      super.postMessage({ ...message, module: null });
    }
  } as typeof Worker;
  let w: ThreadedKernels | undefined;
  try {
    w = createThreadedKernels({ threads: 2, minWork: 0 });
  } finally {
    globalThis.Worker = RealWorker;
  }
  if (!w) return;
  try {
    const a = w.alloc(64 * 64, "float32").fill(1), c = w.alloc(64 * 64, "float32");
    let error: Error | undefined;
    // Until the worker's error event arrives, the caller runs every band itself, correctly.
    for (let tries = 0; !error && tries < 200; tries++) {
      try {
        w.gemmNN(64, 64, 64, a, a, c);
        assert.equal(c[4095], 64);
        await new Promise((resolve) => setTimeout(resolve, 10));
      } catch (e) {
        error = e as Error;
      }
    }
    assert.ok(error, "the worker's failure never surfaced");
    assert.equal(error.message, "wasm gemm: a worker thread failed");
    assert.match(String((error.cause as Error)?.message ?? error.cause), /WebAssembly\.Instance/);
  } finally {
    w.close();
  }
});
