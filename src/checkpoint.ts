/**
 * Saving and loading trained networks and whole training runs.
 *
 * A **model** is one safetensors file: the parameters as tensors `layers.L.W`
 * (`Nl × N(l-1)`) and `layers.L.b` (`Nl`), and the architecture in its
 * `__metadata__`, so NumPy and PyTorch users can load the weights as they are.
 *
 * A **checkpoint** is everything a run needs to continue exactly where it
 * stopped: the model, the optimizer's buffers (a second safetensors file), the
 * best parameters kept by early stopping (a third), and a JSON file with the
 * counters, the optimizer's scalars, the early-stopping state, the seed and
 * the run's configuration. The functions here turn these into bytes and back;
 * writing them to disk (safely) is the caller's part.
 *
 * @module
 */

import type { ActivationSpec } from "./activations.ts";
import type { EarlyStopping, EarlyStoppingState } from "./early_stopping.ts";
import type { BackendName } from "./kernels/backend.ts";
import type { DType } from "./matrix.ts";
import { type Layer, Network } from "./network.ts";
import type { Optimizer, OptimizerState } from "./optimizers.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  loadNetworkTensors,
  networkTensors,
  type Tensor,
} from "./safetensors.ts";
import type { TrainStart } from "./train.ts";

/** The metadata key that holds a model's architecture (and the caller's extras) as JSON. */
const MODEL_KEY = "fullmatrix";

/**
 * A network's architecture, as stored beside its parameters.
 *
 * @example
 * ```ts
 * import type { Architecture } from "@fullmatrix/backprop";
 * const a: Architecture = { sizes: [64, 32, 10], activations: ["relu", "softmax"], dtype: "float32" };
 * ```
 */
export interface Architecture {
  /** Layer sizes, input first. */
  sizes: number[];
  /** One activation per layer, as canonical text (`"relu"`, `"leaky-relu:0.1"`): it round-trips. */
  activations: ActivationSpec[];
  /** Element type. */
  dtype: DType;
}

/**
 * A network as the bytes of a safetensors file, with `extra` (any JSON) in its metadata.
 *
 * @example Round trip
 * ```ts
 * import { decodeModel, encodeModel, Network } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [2, 1], activations: "sigmoid", seed: 3 });
 * const { network, extra } = decodeModel(encodeModel(net, { classes: ["no", "yes"] }));
 * console.assert(network.layers[0].W.data[1] === net.layers[0].W.data[1]);
 * console.assert((extra as { classes: string[] }).classes[1] === "yes");
 * ```
 */
export function encodeModel(
  network: Network,
  extra: unknown = {},
  layers: Layer[] = network.layers,
): Uint8Array {
  const info = { ...architecture(network), extra };
  return encodeSafetensors(networkTensors(network, layers), { [MODEL_KEY]: JSON.stringify(info) });
}

/**
 * A network rebuilt from {@linkcode encodeModel}'s bytes, and the extras stored with it.
 *
 * @example
 * ```ts
 * import { decodeModel, encodeModel, Network } from "@fullmatrix/backprop";
 * const { network } = decodeModel(encodeModel(new Network({ sizes: [3, 2], activations: "tanh" })));
 * console.assert(network.sizes[0] === 3);
 * ```
 */
export function decodeModel(
  bytes: Uint8Array,
  backend?: BackendName,
  threads?: number,
): { network: Network; extra: unknown } {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata[MODEL_KEY] === undefined) {
    throw new Error(`not a model file: its metadata has no "${MODEL_KEY}" entry`);
  }
  const info = JSON.parse(metadata[MODEL_KEY]) as Architecture & { extra: unknown };
  const network = new Network({
    sizes: info.sizes,
    activations: info.activations,
    dtype: info.dtype,
    backend,
    threads,
  });
  loadNetworkTensors(network, tensors);
  return { network, extra: info.extra };
}

/**
 * What a checkpoint's JSON file holds.
 *
 * @example
 * ```ts
 * import type { CheckpointInfo } from "@fullmatrix/backprop";
 * const where = (c: CheckpointInfo) => `after epoch ${c.progress.epoch}, step ${c.progress.step}`;
 * ```
 */
export interface CheckpointInfo {
  /** Tells a checkpoint from other JSON. */
  format: "fullmatrix-checkpoint";
  /** Bumped when the layout changes. */
  version: 1;
  /** The network's architecture. */
  network: Architecture;
  /** Where training stands. */
  progress: TrainStart;
  /** The optimizer's kind, step count and scalar settings (its buffers are in `optimizer.safetensors`). */
  optimizer: Omit<OptimizerState, "tensors">;
  /** Early stopping's counters, when the run uses it (its best parameters are in `best.safetensors`). */
  earlyStopping?: EarlyStoppingState;
  /** The seed every shuffle and split derives from, with `(seed, epoch)`: the run's only randomness after initialisation. */
  seed: number;
  /** The caller's configuration of the run, as JSON. */
  config: unknown;
}

/**
 * Everything to save for a checkpoint.
 *
 * @example
 * ```ts
 * import type { CheckpointParts } from "@fullmatrix/backprop";
 * const describe = (p: CheckpointParts) => `${p.network.sizes.join("-")} at step ${p.progress.step}`;
 * ```
 */
export interface CheckpointParts {
  /** The network being trained. */
  network: Network;
  /** Its optimizer. */
  optimizer: Optimizer;
  /** Early stopping, when used. */
  earlyStopping?: EarlyStopping;
  /** Where training stands. */
  progress: TrainStart;
  /** The run's seed. */
  seed: number;
  /** The caller's configuration, as JSON. */
  config: unknown;
}

/**
 * A checkpoint as files: name → bytes (or text for the JSON).
 *
 * @example
 * ```ts
 * import { encodeCheckpoint, Network, SGD } from "@fullmatrix/backprop";
 * const files = encodeCheckpoint({
 *   network: new Network({ sizes: [2, 1], activations: "sigmoid" }),
 *   optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }),
 *   progress: { epoch: 1, step: 10, samplesSeen: 100 }, seed: 1, config: {},
 * });
 * console.assert("checkpoint.json" in files && "model.safetensors" in files);
 * ```
 */
export function encodeCheckpoint(parts: CheckpointParts): Record<string, Uint8Array | string> {
  const { tensors, ...optimizer } = parts.optimizer.state();
  const info: CheckpointInfo = {
    format: "fullmatrix-checkpoint",
    version: 1,
    network: architecture(parts.network),
    progress: parts.progress,
    optimizer,
    seed: parts.seed,
    config: parts.config,
  };
  const files: Record<string, Uint8Array | string> = {
    "model.safetensors": encodeModel(parts.network),
    "optimizer.safetensors": encodeSafetensors(vectors(tensors)),
  };
  if (parts.earlyStopping) {
    info.earlyStopping = parts.earlyStopping.state();
    const best = parts.earlyStopping.bestLayers;
    if (best) files["best.safetensors"] = encodeModel(parts.network, {}, best);
  }
  files["checkpoint.json"] = JSON.stringify(info, null, 2);
  return files;
}

/**
 * A checkpoint read back: its info, and functions that put its state into a
 * network, optimizer and early stopping built like the saved ones.
 *
 * @example
 * ```ts
 * import { decodeCheckpoint, encodeCheckpoint, Network, SGD } from "@fullmatrix/backprop";
 * const network = new Network({ sizes: [2, 1], activations: "sigmoid", seed: 4 });
 * const optimizer = new SGD({ learningRate: 0.1 });
 * const files = encodeCheckpoint({ network, optimizer, progress: { epoch: 2, step: 8, samplesSeen: 64 }, seed: 1, config: {} });
 * const bytes = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? new TextEncoder().encode(v) : v]));
 * const saved = decodeCheckpoint(bytes);
 * console.assert(saved.info.progress.epoch === 2 && saved.network().layers[0].W.data[0] === network.layers[0].W.data[0]);
 * ```
 */
export function decodeCheckpoint(files: Record<string, Uint8Array>): {
  info: CheckpointInfo;
  network: (backend?: BackendName, threads?: number) => Network;
  restoreOptimizer: (optimizer: Optimizer) => void;
  restoreEarlyStopping: (earlyStopping: EarlyStopping) => void;
} {
  const need = (name: string) => {
    if (!files[name]) throw new Error(`checkpoint: ${name} is missing`);
    return files[name];
  };
  const info = JSON.parse(new TextDecoder().decode(need("checkpoint.json"))) as CheckpointInfo;
  if (info.format !== "fullmatrix-checkpoint" || info.version !== 1) {
    throw new Error("checkpoint: checkpoint.json is not a version 1 fullmatrix checkpoint");
  }
  return {
    info,
    network: (backend, threads) => decodeModel(need("model.safetensors"), backend, threads).network,
    restoreOptimizer(optimizer) {
      const tensors = decodeSafetensors(need("optimizer.safetensors")).tensors;
      const data = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.data]));
      optimizer.loadState({ ...info.optimizer, tensors: data });
    },
    restoreEarlyStopping(earlyStopping) {
      if (!info.earlyStopping) return;
      const best = files["best.safetensors"] &&
        decodeModel(files["best.safetensors"]).network.layers;
      earlyStopping.loadState(info.earlyStopping, best);
    },
  };
}

function architecture(network: Network): Architecture {
  return { sizes: [...network.sizes], activations: [...network.activations], dtype: network.dtype };
}

/** Optimizer buffers as 1-D tensors (their shape is the parameter's, which the network knows). */
function vectors(arrays: OptimizerState["tensors"]): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(arrays).map(([name, data]) => [
      name,
      { dtype: data instanceof Float64Array ? "F64" : "F32", shape: [data.length], data },
    ]),
  );
}
