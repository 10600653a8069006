/**
 * One epoch of the bundled digits on a given backend, as the backend tests compare them: a
 * tanh-ReLU-softmax net from seed 4, SGD at 0.05, batches of 24, the same data every time.
 */

import { type BackendName, csvSamples, Network, SampleCache, SGD, train } from "../../mod.ts";

const path = "data/digits_train.csv";
const data = (await SampleCache.collect(
  csvSamples((await Deno.open(path)).readable, { source: path, classes: 10, scale: 1 / 16 }),
))!;

/**
 * How to run the epoch: the layer sizes (default 64-48-32-10), threads and momentum; `batched`
 * trains on the cache's own batches (the network writes their inputs itself) instead of samples
 * through the batching stage, in the same order.
 */
export interface EpochOptions {
  sizes?: number[];
  threads?: number;
  momentum?: number;
  batched?: boolean;
}

/** The epoch's loss curve, its final parameters as bytes, and what computed them. */
export async function digitsEpoch(
  backend: BackendName,
  { sizes = [64, 48, 32, 10], threads = 1, momentum = 0.9, batched = false }: EpochOptions = {},
): Promise<{ losses: number[]; params: Uint8Array[]; kernels: string }> {
  using network = new Network({
    sizes,
    activations: ["tanh", "relu", "softmax"],
    seed: 4,
    backend,
    threads,
  });
  const losses: number[] = [];
  const events = train({
    network,
    loss: "cross-entropy",
    optimizer: new SGD({ learningRate: 0.05, momentum }),
    ...(batched ? { batchData: (_, size) => data.batches(size) } : { data: () => data.stream() }),
    batchSize: 24,
  });
  for await (const e of events) if (e.type === "step") losses.push(e.loss);
  const bytes = (a: Float32Array | Float64Array) =>
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
  const params = network.layers.flatMap(({ W, b }) => [bytes(W.data), bytes(b.data)]);
  return { losses, params, kernels: network.kernels };
}
