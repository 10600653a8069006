/**
 * The per-sample method of the seed's §8 (Nielsen's book): back-propagate one
 * sample — one column vector — at a time, add the gradients up, divide by `M`.
 *
 * It is here to be compared with the full-matrix method: the tests show both
 * give the same gradients, the benchmark shows which is faster. Each sample
 * goes through {@linkcode Network.gradients} as a batch of one, where `M = 1`
 * makes the batch loss that sample's own loss `C_x`.
 *
 * @module
 */

import type { LossName } from "./losses.ts";
import { column, type Matrix, zeros } from "./matrix.ts";
import type { Gradients, LayerGradient, Network } from "./network.ts";

/**
 * The gradients of the batch loss by the per-sample method:
 * `∂C/∂W = (1/M) Σ_x ∂C_x/∂W`, and likewise for `b` and the loss itself.
 *
 * @example Same gradients as the full-matrix method
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, Network, perSampleGradients } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [2, 2], activations: "sigmoid", dtype: "float64" });
 * const x = fromRows([[0, 1], [1, 1]], "float64"), y = fromRows([[1, 0], [0, 1]], "float64");
 * const full = net.gradients(x, y, "quadratic"), each = perSampleGradients(net, x, y, "quadratic");
 * assert.ok(Math.abs(full.grads[0].dW.data[0] - each.grads[0].dW.data[0]) < 1e-12);
 * ```
 */
export function perSampleGradients(net: Network, x: Matrix, y: Matrix, loss: LossName): Gradients {
  const m = x.cols;
  const sum: LayerGradient[] = net.layers.map(({ W, b }) => ({
    dW: zeros(W.rows, W.cols, net.dtype),
    db: zeros(b.rows, 1, net.dtype),
  }));
  const one = net.allocGradients();
  let total = 0;
  for (let j = 0; j < m; j++) {
    const { loss: value } = net.gradients(column(x, j), column(y, j), loss, one);
    total += value;
    one.forEach((g, l) => {
      addInto(sum[l].dW, g.dW);
      addInto(sum[l].db, g.db);
    });
  }
  for (const g of sum) {
    scale(g.dW, 1 / m);
    scale(g.db, 1 / m);
  }
  return { loss: total / m, grads: sum };
}

function addInto(acc: Matrix, x: Matrix): void {
  for (let i = 0; i < acc.data.length; i++) acc.data[i] += x.data[i];
}

function scale(m: Matrix, s: number): void {
  for (let i = 0; i < m.data.length; i++) m.data[i] *= s;
}
