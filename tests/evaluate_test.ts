/**
 * Evaluation on held-out data: loss, accuracy and a confusion matrix for
 * classes; mean squared and absolute error for values — each checked against
 * numbers worked out by hand.
 */

import assert from "node:assert/strict";
import { evaluate, Network, type Sample } from "../mod.ts";

/** An identity network 2 → 2 (W = I, b = 0): its output is its input, so the numbers are easy. */
function identity(): Network {
  const net = new Network({ sizes: [2, 2], activations: "identity", dtype: "float64" });
  net.layers[0].W.data.set([1, 0, 0, 1]);
  return net;
}

const sample = (x: number[], y: number[]): Sample => ({
  x: new Float64Array(x),
  y: new Float64Array(y),
});

Deno.test("classification: accuracy and confusion[actual][predicted]", async () => {
  const data = [
    sample([0.9, 0.1], [1, 0]), // predicted 0, actual 0
    sample([0.2, 0.8], [1, 0]), // predicted 1, actual 0
    sample([0.3, 0.7], [0, 1]), // predicted 1, actual 1
    sample([0.6, 0.4], [0, 1]), // predicted 0, actual 1
    sample([0.1, 0.9], [0, 1]), // predicted 1, actual 1
  ];
  const result = await evaluate(identity(), ReadableStream.from(data), {
    loss: "quadratic",
    batchSize: 2,
  });
  assert.equal(result.samples, 5);
  assert.equal(result.accuracy, 3 / 5);
  assert.deepEqual(result.confusion, [[1, 1], [1, 2]]);
  assert.equal(result.mse, undefined);
});

Deno.test("regression: MSE and MAE per output value, and the loss per sample", async () => {
  const data = [sample([1, 2], [0, 2]), sample([3, -1], [3, 1])];
  // Errors: (1, 0) and (0, −2): MSE = (1 + 0 + 0 + 4) / 4, MAE = (1 + 0 + 0 + 2) / 4.
  const result = await evaluate(identity(), ReadableStream.from(data), {
    loss: "quadratic",
    classification: false,
  });
  assert.equal(result.mse, 5 / 4);
  assert.equal(result.mae, 3 / 4);
  // The quadratic loss per sample is ½‖y − a‖²: (½·1 + ½·4) / 2.
  assert.equal(result.loss, 1.25);
  assert.equal(result.accuracy, undefined);
});
