/**
 * Every kernel backend trains the same network the same way: one epoch's loss
 * curve agrees within 1e-5 relative across backends in float32, and a backend
 * run twice with one seed gives bit-identical parameters.
 */

import assert from "node:assert/strict";
import { type BackendName, backendNames, Network, SampleCache } from "../mod.ts";
import { type Storage, storageFor } from "../src/kernels/backend.ts";
import { digitsEpoch } from "./helpers/digits_epoch.ts";

const epoch = (backend: BackendName, threads = 1, sizes?: number[], momentum?: number) =>
  digitsEpoch(backend, { threads, sizes, momentum });

const backends: BackendName[] = ["typescript", "wasm-simd", "wasm"];
const runs = new Map<BackendName, Awaited<ReturnType<typeof epoch>>>();
for (const b of backends) runs.set(b, await epoch(b));

for (const b of backends.slice(1)) {
  Deno.test(`${b} follows the TypeScript kernels' loss curve within 1e-5 relative over an epoch`, () => {
    const reference = runs.get("typescript")!.losses, curve = runs.get(b)!.losses;
    assert.equal(curve.length, reference.length);
    const worst = Math.max(
      ...curve.map((v, i) => Math.abs(v - reference[i]) / Math.abs(reference[i])),
    );
    assert.ok(worst < 1e-5, `largest relative difference ${worst}`);
  });
}

for (const b of backends) {
  Deno.test(`${b}: the same seed gives bit-identical parameters run to run`, async () => {
    assert.deepEqual((await epoch(b)).params, runs.get(b)!.params);
  });
}

for (const b of backends) {
  Deno.test(`${b}: the cache's batches, their inputs written by the network, train bit for bit as samples do`, async () => {
    const batched = await digitsEpoch(b, { batched: true });
    assert.deepEqual(batched.losses, runs.get(b)!.losses);
    assert.deepEqual(batched.params, runs.get(b)!.params);
  });
}

Deno.test("batchGradients: the gradients of gradients(x, y) on each backend; a batch of another width is refused", async () => {
  const cache = new SampleCache();
  for (let i = 0; i < 13; i++) {
    cache.add({
      x: Float32Array.from({ length: 7 }, (_, k) => Math.sin(i * 7 + k)),
      y: new Float32Array([i % 2]),
    });
  }
  const [batch] = await Array.fromAsync(cache.batches(13, 3));
  for (const backend of ["typescript", "wasm-simd", "wasm", "auto"] as const) {
    using net = new Network({
      sizes: [7, 5, 1],
      activations: ["tanh", "sigmoid"],
      seed: 2,
      backend,
    });
    const want = net.gradients(batch.x, batch.y, "quadratic").grads.map((
      g,
    ) => [...g.dW.data, ...g.db.data]);
    const got = net.batchGradients(batch, "quadratic").grads.map((
      g,
    ) => [...g.dW.data, ...g.db.data]);
    // On blas the inputs go in as rows and its products sum in their own order.
    const exact = !net.kernels.startsWith("blas");
    got.flat().forEach((v, i) => {
      const w = want.flat()[i];
      assert.ok(
        exact ? Object.is(v, w) : Math.abs(v - w) <= 1e-6 * (1 + Math.abs(w)),
        `${backend} [${i}]: ${v} vs ${w}`,
      );
    });
    using narrow = new Network({ sizes: [6, 1], activations: "sigmoid", backend });
    assert.throws(
      () => narrow.batchGradients(batch, "quadratic"),
      /Network: input has 7 rows, expected 6/,
    );
  }
});

Deno.test("two threads: the same loss curve as one, and bit-identical parameters run to run", async () => {
  // Wide enough that its products (256×64 by batch 24) pass the threading threshold.
  const wide = [64, 256, 128, 10];
  const one = await epoch("wasm", 1, wide), two = await epoch("wasm", 2, wide);
  const again = await epoch("wasm", 2, wide);
  assert.deepEqual(two.losses, one.losses);
  assert.deepEqual(two.params, one.params);
  assert.deepEqual(again.params, two.params);
});

Deno.test("plain SGD, one SIMD pass on wasm storage, follows the TypeScript loop within 1e-5", async () => {
  const [ts, wasm] = [
    await epoch("typescript", 1, undefined, 0),
    await epoch("wasm", 1, undefined, 0),
  ];
  const worst = Math.max(
    ...wasm.losses.map((v, i) => Math.abs(v - ts.losses[i]) / Math.abs(ts.losses[i])),
  );
  assert.ok(worst < 1e-5, `largest relative difference ${worst}`);
});

Deno.test("the backend registry: every name builds its storage, an unknown one is a RangeError naming them", () => {
  for (const name of backendNames) {
    let storage: Storage | undefined;
    try {
      storage = storageFor(name);
    } catch (e) {
      // Only the system BLAS may be missing (no library, or no FFI grant for it).
      assert.ok(name === "blas" && e instanceof RangeError, `${name}: ${e}`);
      continue;
    }
    assert.equal(storage.alloc(3, "float64").length, 3);
    if (name !== "auto") {
      assert.match(storage.kernels, name === "typescript" ? /^typescript$/ : new RegExp(name));
    }
    storage.close();
  }
  assert.throws(
    () => storageFor("gpu" as BackendName),
    (e) => e instanceof RangeError && e.message.includes(backendNames.join(", ")),
  );
});
