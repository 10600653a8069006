/**
 * Measuring a network on data it does not learn from: loss and accuracy.
 *
 * @module
 */

import { losses, type LossName } from "./losses.ts";
import type { Matrix } from "./matrix.ts";
import type { Network } from "./network.ts";
import { batches } from "./streams/batches.ts";
import type { Sample } from "./streams/sample.ts";

/**
 * The result of {@linkcode evaluate}.
 *
 * @example
 * ```ts
 * import type { Evaluation } from "@fullmatrix/backprop";
 * const show = (e: Evaluation) => `${e.samples} samples, accuracy ${e.accuracy}`;
 * ```
 */
export interface Evaluation {
  /** The mean loss per sample. */
  loss: number;
  /** The fraction of samples whose largest output is their class (one-hot targets only). */
  accuracy?: number;
  /** How many samples were seen. */
  samples: number;
}

/**
 * Runs `samples` through `network` in batches and averages loss (and accuracy
 * when `classification`) over all of them.
 *
 * @example
 * ```ts
 * import { evaluate, Network, type Sample } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [1, 2], activations: "softmax" });
 * const data: Sample[] = [{ x: new Float32Array([1]), y: new Float32Array([1, 0]) }];
 * const { samples } = await evaluate(net, ReadableStream.from(data), { loss: "cross-entropy" });
 * console.assert(samples === 1);
 * ```
 */
export async function evaluate(
  network: Network,
  samples: ReadableStream<Sample>,
  options: { loss: LossName; classification?: boolean; batchSize?: number },
): Promise<Evaluation> {
  const { loss, classification = true, batchSize = 256 } = options;
  let total = 0, correct = 0, count = 0;
  for await (const { x, y } of samples.pipeThrough(batches(batchSize))) {
    const a = network.forward(x);
    total += losses[loss].value(a, y) * x.cols;
    if (classification) correct += countCorrect(a, y);
    count += x.cols;
  }
  const result: Evaluation = { loss: count > 0 ? total / count : NaN, samples: count };
  if (classification) result.accuracy = count > 0 ? correct / count : NaN;
  return result;
}

/**
 * The predicted class of each column: the row of its largest value.
 *
 * @example
 * ```ts
 * import { argmaxColumns, fromRows } from "@fullmatrix/backprop";
 * console.assert(argmaxColumns(fromRows([[0.1, 0.9], [0.9, 0.1]]))[0] === 1);
 * ```
 */
export function argmaxColumns(a: Matrix): Int32Array {
  const out = new Int32Array(a.cols);
  for (let j = 0; j < a.cols; j++) {
    let best = 0;
    for (let i = 1; i < a.rows; i++) {
      if (a.data[i * a.cols + j] > a.data[best * a.cols + j]) best = i;
    }
    out[j] = best;
  }
  return out;
}

function countCorrect(a: Matrix, y: Matrix): number {
  const predicted = argmaxColumns(a), actual = argmaxColumns(y);
  let n = 0;
  for (let j = 0; j < predicted.length; j++) if (predicted[j] === actual[j]) n++;
  return n;
}
