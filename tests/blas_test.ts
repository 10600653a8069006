/**
 * The `blas` backend: the system CBLAS through FFI computes the three products
 * on the wasm memory, exactly like the loops within float tolerance; a network
 * on it follows the TypeScript kernels' loss curve within 1e-5 and is
 * bit-identical run to run, on one thread and on two. Without a CBLAS (or an
 * FFI grant for it) every test here is skipped with a note saying why.
 */

import assert from "node:assert/strict";
import { Network } from "../mod.ts";
import { storageFor } from "../src/kernels/backend.ts";
import { blasCandidates, blasRunner, defaultBlasPath, loadBlas } from "../src/kernels/blas.ts";
import { kernelParts, Kernels } from "../src/kernels/wasm/kernels.ts";
import { task } from "./helpers/cli.ts";
import { digitsEpoch } from "./helpers/digits_epoch.ts";
import { checkProduct, networkShapes, shapes } from "./helpers/gemm_reference.ts";

const blas = loadBlas();
const ignore = blas === undefined;
if (ignore) {
  console.log(
    `blas_test: skipped, no CBLAS loads (looked for ${defaultBlasPath() ?? "nothing on this OS"} ` +
      "with an FFI grant; Debian: apt-get install libopenblas0)",
  );
}

Deno.test("blas: the usual OpenBLAS and Accelerate paths are candidates, absolute only", () => {
  const linux = blasCandidates("linux", "aarch64");
  assert.equal(linux[0], "/usr/lib/aarch64-linux-gnu/libopenblas.so.0");
  assert.ok(blasCandidates("darwin", "aarch64").some((p) => p.includes("Accelerate")));
  assert.deepEqual(blasCandidates("windows", "x86_64"), []);
  for (const p of [...linux, ...blasCandidates("darwin", "x86_64")]) assert.ok(p.startsWith("/"));
});

Deno.test("blas: a library that is not there gives no BLAS, and a named backend says so", () => {
  assert.equal(loadBlas("/nonexistent/libopenblas.so.0"), undefined);
  assert.throws(
    () => storageFor("blas", 1, "/nonexistent/libopenblas.so.0"),
    (e) => e instanceof RangeError && /no CBLAS library loads from \/nonexistent/.test(e.message),
  );
});

for (const threads of [1, 2]) {
  Deno.test({
    name: `blas (${threads} thread${threads > 1 ? "s" : ""}): NN, TN, NT match float64 loops`,
    ignore,
    fn() {
      const w = new Kernels(kernelParts({ initialBytes: 1 << 24 })!, blasRunner(blas!, threads));
      for (const dtype of ["float32", "float64"] as const) {
        for (const product of ["NN", "TN", "NT"] as const) {
          for (const shape of [...shapes, networkShapes[product]]) {
            for (const accumulate of [false, true]) {
              checkProduct(w, product, dtype, shape, accumulate);
              w.reset();
            }
          }
        }
      }
    },
  });
}

/** One epoch of a 64-256-128-10 net (wide enough for two threads to share its products). */
const epoch = (backend: "blas" | "typescript", threads = 1) =>
  digitsEpoch(backend, { sizes: [64, 256, 128, 10], threads });

Deno.test({
  name: "blas: auto picks it, and network.kernels says what runs",
  ignore,
  fn() {
    using network = new Network({ sizes: [2, 2], activations: "sigmoid" });
    assert.match(network.kernels, /^blas \(.+\) \+ wasm-(relaxed-)?simd element-wise$/);
  },
});

Deno.test({
  name: "blas: the TypeScript kernels' loss curve within 1e-5, bit-identical run to run",
  ignore,
  async fn() {
    const reference = await epoch("typescript");
    for (const threads of [1, 2]) {
      const run = await epoch("blas", threads), again = await epoch("blas", threads);
      assert.match(run.kernels, threads > 1 ? /×2 threads/ : /^blas/);
      assert.equal(run.losses.length, reference.losses.length);
      const worst = Math.max(
        ...run.losses.map((v, i) => Math.abs(v - reference.losses[i]) / reference.losses[i]),
      );
      assert.ok(worst < 1e-5, `${threads} threads: largest relative difference ${worst}`);
      assert.deepEqual(again.params, run.params);
    }
  },
});

Deno.test({
  name:
    "blas: the cache's batches (inputs written as rows): the same loss curve within 1e-5, bit-identical run to run",
  ignore,
  async fn() {
    const reference = await epoch("typescript");
    const run = await digitsEpoch("blas", { sizes: [64, 256, 128, 10], batched: true });
    const again = await digitsEpoch("blas", { sizes: [64, 256, 128, 10], batched: true });
    const worst = Math.max(
      ...run.losses.map((v, i) => Math.abs(v - reference.losses[i]) / reference.losses[i]),
    );
    assert.ok(worst < 1e-5, `largest relative difference ${worst}`);
    assert.deepEqual(again.params, run.params);
  },
});

/** `deno task train --epochs 1 ARGS` from the repository root, through the launcher. */
async function trainTask(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await task("train", ["--epochs", "1", ...args]);
  return { code, out: stdout, err: stderr };
}

Deno.test({
  name: "blas through the CLI: the launcher's one-file FFI grant is enough, and the run says so",
  ignore,
  async fn() {
    const { code, out, err } = await trainTask("--backend", "blas");
    assert.equal(code, 0, err);
    assert.match(out, /, blas \(.+\) \+ wasm-(relaxed-)?simd element-wise kernels\n/);
  },
});

Deno.test("blas through the CLI: --blas naming no library is one clear usage error, exit 2", async () => {
  const { code, err } = await trainTask("--backend", "blas", "--blas", "/nonexistent/libblas.so");
  assert.equal(code, 2);
  assert.match(
    err,
    /^error: no CBLAS library loads from \/nonexistent\/libblas.so .*\n\(see --help\)\n$/m,
  );
  assert.doesNotMatch(err, /\n\s+at /);
});
