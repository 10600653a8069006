/**
 * Measuring a network on data it does not learn from: the loss, and accuracy
 * with a confusion matrix for classes, or mean squared and absolute error for values.
 *
 * @module
 */

import { resolveActivation } from "./activations.ts";
import { lossFor, type LossName } from "./losses.ts";
import type { Matrix } from "./matrix.ts";
import { argmaxColumns, CLASSIFICATION_DEFAULT } from "./metrics.ts";
import type { Network } from "./network.ts";
import { batches } from "./streams/batches.ts";
import { readAll } from "./streams/_portable.ts";
import type { Sample } from "./streams/sample.ts";

/**
 * The result of {@linkcode evaluate}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, type Evaluation, Network } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [1, 1], activations: "identity" });
 * net.layers[0].W.data[0] = 1;
 * const data = [1, 2].map((v) => ({ x: new Float32Array([v]), y: new Float32Array([v + 1]) }));
 * const e: Evaluation = await evaluate(net, ReadableStream.from(data), { loss: "quadratic", classification: false });
 * assert.deepEqual([e.samples, e.mse, e.mae, e.loss], [2, 1, 1, 0.5]);
 * ```
 */
export interface Evaluation {
  /** The mean loss per sample. */
  loss: number;
  /** How many samples were seen. */
  samples: number;
  /** Classification: the fraction of samples whose largest output is their class. */
  accuracy?: number;
  /** Classification: `confusion[actual][predicted]` counts. */
  confusion?: number[][];
  /** Regression: mean squared error per output value. */
  mse?: number;
  /** Regression: mean absolute error per output value. */
  mae?: number;
}

/**
 * Runs `samples` through `network` in batches and sums up loss and metrics
 * over all of them: accuracy and a confusion matrix when `classification`
 * (the default), MSE and MAE otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, Network, type Sample } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [1, 2], activations: "softmax" });
 * const data: Sample[] = [{ x: new Float32Array([1]), y: new Float32Array([1, 0]) }];
 * const { samples, confusion } = await evaluate(net, ReadableStream.from(data), { loss: "cross-entropy" });
 * assert.ok(samples === 1 && confusion!.length === 2);
 * ```
 */
export async function evaluate(
  network: Network,
  samples: ReadableStream<Sample>,
  options: { loss: LossName; classification?: boolean; batchSize?: number },
): Promise<Evaluation> {
  const { loss, classification = CLASSIFICATION_DEFAULT, batchSize = 256 } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new RangeError(`evaluate: batchSize must be an integer >= 1, got ${batchSize}`);
  }
  const k = network.sizes[network.sizes.length - 1];
  const measure = lossFor(
    loss,
    resolveActivation(network.activations[network.activations.length - 1]).name,
  );
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let total = 0, count = 0, squared = 0, absolute = 0;
  for await (const { x, y } of readAll(samples.pipeThrough(batches(batchSize)))) {
    const a = network.forward(x);
    total += measure.value(a, y) * x.cols;
    count += x.cols;
    if (classification) tally(confusion, a, y);
    else [squared, absolute] = addErrors(a, y, squared, absolute);
  }
  const result: Evaluation = { loss: total / count, samples: count };
  if (classification) {
    result.accuracy = confusion.reduce((n, row, i) => n + row[i], 0) / count;
    result.confusion = confusion;
  } else {
    result.mse = squared / (count * k);
    result.mae = absolute / (count * k);
  }
  return result;
}

function tally(confusion: number[][], a: Matrix, y: Matrix): void {
  const predicted = argmaxColumns(a), actual = argmaxColumns(y);
  predicted.forEach((p, j) => confusion[actual[j]][p]++);
}

function addErrors(a: Matrix, y: Matrix, squared: number, absolute: number): [number, number] {
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - y.data[i];
    squared += d * d;
    absolute += Math.abs(d);
  }
  return [squared, absolute];
}
