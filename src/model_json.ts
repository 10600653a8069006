/**
 * A network's architecture and parameters as plain JSON, for `--out` and for
 * loading a trained model back.
 *
 * @module
 */

import type { ActivationName } from "./activations.ts";
import type { DType } from "./matrix.ts";
import { type Layer, Network } from "./network.ts";

/**
 * A network as JSON-ready data: sizes, activations, element type and, per
 * layer, `W` row after row and `b`.
 *
 * @example
 * ```ts
 * import type { ModelJSON } from "@fullmatrix/backprop";
 * const tiny: ModelJSON = { sizes: [1, 1], activations: ["identity"], dtype: "float64", layers: [{ W: [2], b: [0] }] };
 * ```
 */
export interface ModelJSON {
  /** Layer sizes, input first. */
  sizes: number[];
  /** One activation per layer. */
  activations: ActivationName[];
  /** Element type. */
  dtype: DType;
  /** Parameters per layer: `W` flattened row-major (`Nl·N(l-1)` values) and `b` (`Nl` values). */
  layers: { W: number[]; b: number[] }[];
}

/**
 * The network (or a snapshot of its layers) as {@linkcode ModelJSON}.
 *
 * @example
 * ```ts
 * import { Network, toModelJSON } from "@fullmatrix/backprop";
 * const json = toModelJSON(new Network({ sizes: [2, 1], activations: "sigmoid" }));
 * console.assert(json.layers[0].W.length === 2);
 * ```
 */
export function toModelJSON(network: Network, layers: Layer[] = network.layers): ModelJSON {
  return {
    sizes: [...network.sizes],
    activations: [...network.activations],
    dtype: network.dtype,
    layers: layers.map(({ W, b }) => ({ W: Array.from(W.data), b: Array.from(b.data) })),
  };
}

/**
 * A network rebuilt from {@linkcode ModelJSON}.
 *
 * @example Round trip
 * ```ts
 * import { fromModelJSON, Network, toModelJSON } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [2, 1], activations: "sigmoid", seed: 3 });
 * const back = fromModelJSON(JSON.parse(JSON.stringify(toModelJSON(net))));
 * console.assert(back.layers[0].W.data[1] === net.layers[0].W.data[1]);
 * ```
 */
export function fromModelJSON(json: ModelJSON): Network {
  const network = new Network({
    sizes: json.sizes,
    activations: json.activations,
    dtype: json.dtype,
  });
  if (json.layers?.length !== network.layers.length) {
    throw new RangeError(
      `model: ${network.layers.length} layers expected, got ${json.layers?.length}`,
    );
  }
  network.layers.forEach(({ W, b }, l) => {
    const { W: w, b: bias } = json.layers[l];
    if (w.length !== W.data.length || bias.length !== b.data.length) {
      throw new RangeError(
        `model: layer ${l + 1} should have ${W.data.length} weights and ${b.data.length} biases`,
      );
    }
    W.data.set(w);
    b.data.set(bias);
  });
  return network;
}
