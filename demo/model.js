// @ts-self-types="./model.d.ts"
// The demo's model and how it is trained: 64-32-10 (ReLU, softmax) on the bundled 8×8 digits, by
// SGD with momentum, seeded. Plain JavaScript with no import and the library handed in (its bundle
// in the browser, mod.ts in Deno), so that the demo's worker, the runtime tests and the Deno runs
// they are compared with train the very same way and end with the same parameters, bit for bit.

/** The data sources' options: pixel intensities 0..16, scaled to 0..1. */
export const CSV = { classes: 10, scale: 1 / 16 };

/** Epochs the demo trains for. */
export const EPOCHS = 15;

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
 * Trains a new network on `train` (the bytes of data/digits_train.csv), validating on `test`,
 * and calls `onEpoch` with each epoch event. Options: `backend`, `threads`, `onEpoch`.
 * Resolves with the network (call `close()` when done) and the last epoch's event.
 */
export async function trainDigits(lib, train, test, options = {}) {
  const network = new lib.Network({
    sizes: [64, 32, 10],
    activations: ["relu", "softmax"],
    seed: 1,
    backend: options.backend ?? "auto",
    threads: options.threads ?? 1,
  });
  const events = lib.train({
    network,
    loss: "cross-entropy",
    optimizer: new lib.SGD({ learningRate: 0.1, momentum: 0.9 }),
    data: () => lib.csvSamples(bytesStream(train), CSV),
    validation: () => lib.csvSamples(bytesStream(test), CSV),
    shuffle: { seed: 1, bufferSize: 256 },
    epochs: EPOCHS,
    batchSize: 32,
  });
  const reader = events.getReader();
  let last;
  for (let r; !(r = await reader.read()).done;) {
    if (r.value.type !== "epoch") continue;
    last = r.value;
    options.onEpoch?.(last);
  }
  return { network, last };
}

/** The class probabilities `network` gives 64 raw pixel intensities (0..16). */
export function classify(lib, network, pixels) {
  const x = lib.fromRows(pixels.map((v) => [v * CSV.scale]));
  return Array.from(network.forward(x).data);
}
