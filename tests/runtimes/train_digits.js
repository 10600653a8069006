// @ts-self-types="./train_digits.d.ts"
// The digits run that tests/node_test.ts and tests/browser_test.ts make in each runtime, with the
// library handed in (mod.ts in Deno, its bundle elsewhere): plain JavaScript with no import, so
// Deno, Node and a browser page or worker load the very same file. It trains 64-32-10 on the
// bundled digits and returns the validation accuracy, the kernels and a SHA-256 of the final
// parameters' bytes, which must be equal wherever the same kernels ran.

/** A byte stream of one chunk, made with what every runtime has. */
function bytesStream(bytes) {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * Trains on `train` (the bytes of data/digits_train.csv), validates on `test`.
 * `options`: `{ backend, threads }` of the network.
 */
export async function trainDigits(lib, train, test, options = {}) {
  const { csvSamples, Network, SGD } = lib;
  const network = new Network({
    sizes: [64, 32, 10],
    activations: ["relu", "softmax"],
    seed: 1,
    backend: options.backend ?? "auto",
    threads: options.threads ?? 1,
  });
  const csv = { classes: 10, scale: 1 / 16 };
  let accuracy = 0, epochs = 0;
  const events = lib.train({
    network,
    loss: "cross-entropy",
    optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }),
    data: () => csvSamples(bytesStream(train), csv),
    validation: () => csvSamples(bytesStream(test), csv),
    shuffle: { seed: 1, bufferSize: 256 },
    epochs: 15,
    batchSize: 32,
  });
  const reader = events.getReader();
  for (let r; !(r = await reader.read()).done;) {
    if (r.value.type === "epoch") accuracy = r.value.validationAccuracy, epochs = r.value.epoch;
  }
  const parts = network.layers.flatMap(({ W, b }) => [W.data, b.data]);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    all.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", all))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const kernels = network.kernels;
  network.close();
  return { accuracy, epochs, kernels, digest };
}
