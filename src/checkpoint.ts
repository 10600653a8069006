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

import { activationNames, type ActivationSpec, resolveActivation } from "./activations.ts";
import type { EarlyStopping, EarlyStoppingState } from "./early_stopping.ts";
import { DataError } from "./errors.ts";
import type { BackendName } from "./kernels/backend.ts";
import type { DType } from "./matrix.ts";
import { type Layer, Network } from "./network.ts";
import type { Optimizer, OptimizerState } from "./optimizers.ts";
import {
  checkNetworkTensors,
  decodeSafetensors,
  encodeSafetensors,
  loadNetworkTensors,
  networkTensors,
  type Tensor,
} from "./safetensors.ts";
import type { Schedule } from "./schedules.ts";
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
 * import assert from "node:assert/strict";
 * import { decodeModel, encodeModel, Network } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [2, 1], activations: "sigmoid", seed: 3 });
 * const { network, extra } = decodeModel(encodeModel(net, { classes: ["no", "yes"] }));
 * assert.ok(network.layers[0].W.data[1] === net.layers[0].W.data[1]);
 * assert.ok((extra as { classes: string[] }).classes[1] === "yes");
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
 * The architecture in the metadata is checked against the tensors (shapes, finite values)
 * before the network is allocated, so a small file cannot claim a huge network; a bad
 * file is a `DataError` whose message reads `safetensors: …`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeModel, encodeModel, Network } from "@fullmatrix/backprop";
 * const { network } = decodeModel(encodeModel(new Network({ sizes: [3, 2], activations: "tanh" })));
 * assert.ok(network.sizes[0] === 3);
 * ```
 */
export function decodeModel(
  bytes: Uint8Array,
  backend?: BackendName,
  threads?: number,
): { network: Network; extra: unknown } {
  const { info, tensors } = readModel(bytes);
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
  /** What an adaptive learning-rate schedule has learnt (reduce-on-plateau's counters). */
  schedule?: Record<string, number>;
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
  /** The learning-rate schedule, saved when it adapts to training (it has `state()`). */
  schedule?: Schedule;
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
 * import assert from "node:assert/strict";
 * import { encodeCheckpoint, Network, SGD } from "@fullmatrix/backprop";
 * const files = encodeCheckpoint({
 *   network: new Network({ sizes: [2, 1], activations: "sigmoid" }),
 *   optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }),
 *   progress: { epoch: 1, step: 10, samplesSeen: 100 }, seed: 1, config: {},
 * });
 * assert.ok("checkpoint.json" in files && "model.safetensors" in files);
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
  const schedule = parts.schedule?.state?.();
  if (schedule) info.schedule = schedule;
  files["checkpoint.json"] = JSON.stringify(info, null, 2);
  return files;
}

/**
 * A checkpoint read back: its info, and functions that put its state into a
 * network, optimizer and early stopping built like the saved ones. Every file is checked
 * first, field by field: the counters, the optimizer's scalars and buffers, the
 * early-stopping state, and each model file against the architecture in
 * `checkpoint.json`. A bad file is a `DataError` whose `source` is its name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeCheckpoint, encodeCheckpoint, Network, SGD } from "@fullmatrix/backprop";
 * const network = new Network({ sizes: [2, 1], activations: "sigmoid", seed: 4 });
 * const optimizer = new SGD({ learningRate: 0.1 });
 * const files = encodeCheckpoint({ network, optimizer, progress: { epoch: 2, step: 8, samplesSeen: 64 }, seed: 1, config: {} });
 * const bytes = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === "string" ? new TextEncoder().encode(v) : v]));
 * const saved = decodeCheckpoint(bytes);
 * assert.ok(saved.info.progress.epoch === 2 && saved.network().layers[0].W.data[0] === network.layers[0].W.data[0]);
 * ```
 */
export function decodeCheckpoint(files: Record<string, Uint8Array>): {
  info: CheckpointInfo;
  network: (backend?: BackendName, threads?: number, blas?: string) => Network;
  restoreOptimizer: (optimizer: Optimizer) => void;
  restoreEarlyStopping: (earlyStopping: EarlyStopping) => void;
  restoreSchedule: (schedule: Schedule) => void;
} {
  const info = readInfo(files);
  const model = within("model.safetensors", () => readModel(need(files, "model.safetensors")));
  sameArchitecture("model.safetensors", model.info, info.network);
  const best = files["best.safetensors"] && within("best.safetensors", () => {
    const best = readModel(files["best.safetensors"]);
    sameArchitecture("best.safetensors", best.info, info.network);
    return best.tensors;
  });
  const buffers = within(
    "optimizer.safetensors",
    () => optimizerBuffers(need(files, "optimizer.safetensors"), info.network.sizes),
  );
  const build = (
    tensors: Record<string, Tensor>,
    backend?: BackendName,
    threads?: number,
    blas?: string,
  ) => {
    const network = new Network({ ...info.network, backend, threads, blas });
    loadNetworkTensors(network, tensors);
    return network;
  };
  return {
    info,
    network: (backend, threads, blas) => build(model.tensors, backend, threads, blas),
    restoreOptimizer(optimizer) {
      optimizer.loadState({ ...info.optimizer, tensors: buffers });
    },
    restoreEarlyStopping(earlyStopping) {
      if (!info.earlyStopping) return;
      earlyStopping.loadState(info.earlyStopping, best && build(best).layers);
    },
    restoreSchedule(schedule) {
      if (info.schedule) schedule.loadState?.(info.schedule);
    },
  };
}

function need(files: Record<string, Uint8Array>, name: string): Uint8Array {
  if (!files[name]) throw new DataError("is missing", { source: name });
  return files[name];
}

/** Runs `read`, naming `name` as the source of the `DataError` it throws. */
function within<T>(name: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    throw new DataError(e.reason, { source: name }, { cause: e });
  }
}

function sameArchitecture(name: string, found: Architecture, expected: Architecture): void {
  const text = (a: Architecture) => `${a.sizes.join("-")} ${a.activations.join(",")} ${a.dtype}`;
  if (text(found) !== text(expected)) {
    throw new DataError(
      `holds a ${text(found)} network, but checkpoint.json says ${text(expected)}`,
      { source: name },
    );
  }
}

/** `checkpoint.json`, checked field by field. */
function readInfo(files: Record<string, Uint8Array>): CheckpointInfo {
  const source = "checkpoint.json";
  const bad = (reason: string) => new DataError(reason, { source });
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(new TextDecoder().decode(need(files, source)));
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`not JSON (${(e as Error).message})`, { source }, { cause: e });
  }
  if (typeof info !== "object" || info === null) throw bad("not a JSON object");
  if (info.format !== "fullmatrix-checkpoint" || info.version !== 1) {
    throw bad("not a version 1 fullmatrix checkpoint");
  }
  checkArchitecture(info.network, bad, "network.");
  const field = (object: unknown) =>
    (typeof object === "object" && object !== null ? object : {}) as Record<string, unknown>;
  const count = (object: unknown, path: string, key: string, optional = false) => {
    const value = field(object)[key];
    if (optional && value === undefined) return;
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw bad(`${path}${key} is ${excerpt(value)}, not a whole number ≥ 0`);
    }
  };
  for (const key of ["epoch", "step", "samplesSeen"]) count(info.progress, "progress.", key);
  count(info.progress, "progress.", "batchesIntoEpoch", true);
  const progress = info.progress as TrainStart;
  if (progress.epoch > progress.step || progress.step > progress.samplesSeen) {
    throw bad(
      `progress says epoch ${progress.epoch}, step ${progress.step}, ${progress.samplesSeen} samples: each epoch takes a step and each step a sample`,
    );
  }
  const optimizer = field(info.optimizer);
  if (typeof optimizer.kind !== "string") throw bad(`optimizer.kind is ${excerpt(optimizer.kind)}`);
  count(optimizer, "optimizer.", "step");
  const scalars = field(optimizer.scalars);
  for (const [key, value] of Object.entries(scalars)) {
    if (!Number.isFinite(value)) throw bad(`optimizer.scalars.${key} is ${excerpt(value)}`);
  }
  if (info.earlyStopping !== undefined) {
    const es = field(info.earlyStopping);
    if (es.best !== null && !Number.isFinite(es.best)) {
      throw bad(`earlyStopping.best is ${excerpt(es.best)}, not a number or null`);
    }
    count(es, "earlyStopping.", "bestEpoch");
    count(es, "earlyStopping.", "wait");
  }
  if (info.schedule !== undefined) {
    const entries = Object.entries(field(info.schedule));
    if (typeof info.schedule !== "object" || !entries.every(([, v]) => Number.isFinite(v))) {
      throw bad(`schedule is ${excerpt(info.schedule)}, not named numbers`);
    }
  }
  if (!Number.isSafeInteger(info.seed)) {
    throw bad(`seed is ${excerpt(info.seed)}, not a whole number`);
  }
  return info as unknown as CheckpointInfo;
}

/**
 * The optimizer's buffers, named `<buffer>.<layer>.<W|b>`, each finite and as long as the
 * parameter it belongs to in a network of `sizes`.
 */
function optimizerBuffers(bytes: Uint8Array, sizes: number[]): OptimizerState["tensors"] {
  const bad = (reason: string) => new DataError(reason, { source: "safetensors" });
  const buffers: OptimizerState["tensors"] = {};
  for (const [name, { data }] of Object.entries(decodeSafetensors(bytes).tensors)) {
    const match = /^\w+\.(\d+)\.([Wb])$/.exec(name);
    const l = match ? Number(match[1]) : -1;
    if (!match || l + 1 >= sizes.length) {
      throw bad(`"${name}" is not a buffer of a layer of this ${sizes.length - 1}-layer network`);
    }
    const length = sizes[l + 1] * (match[2] === "W" ? sizes[l] : 1);
    if (data.length !== length) {
      throw bad(`"${name}" has ${data.length} values, its parameter ${length}`);
    }
    const at = data.findIndex((v) => !Number.isFinite(v));
    if (at >= 0) throw bad(`"${name}" holds ${data[at]} at element ${at}`);
    buffers[name] = data;
  }
  return buffers;
}

/** A model file's architecture and tensors, checked against each other. */
function readModel(
  bytes: Uint8Array,
): { info: Architecture & { extra: unknown }; tensors: Record<string, Tensor> } {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const bad = (reason: string) => new DataError(reason, { source: "safetensors" });
  if (metadata[MODEL_KEY] === undefined) {
    throw bad(`not a model file: its metadata has no "${MODEL_KEY}" entry`);
  }
  let info: Architecture & { extra: unknown };
  try {
    info = JSON.parse(metadata[MODEL_KEY]);
  } catch (e) {
    throw new DataError(`its "${MODEL_KEY}" metadata is not JSON`, { source: "safetensors" }, {
      cause: e,
    });
  }
  checkArchitecture(info, bad, "");
  const layerTensors = Object.keys(tensors).filter((name) => /^layers\.\d+\.[Wb]$/.test(name));
  if (layerTensors.length !== 2 * (info.sizes.length - 1)) {
    throw bad(
      `${layerTensors.length} layer tensors, but the architecture has ${
        info.sizes.length - 1
      } layers`,
    );
  }
  checkNetworkTensors(info.sizes, tensors);
  return { info, tensors };
}

/** Checks an architecture read from a file, field by field. */
function checkArchitecture(
  value: unknown,
  bad: (reason: string) => Error,
  prefix: string,
): asserts value is Architecture {
  const a = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const { sizes, activations: names, dtype } = a;
  if (
    !Array.isArray(sizes) || sizes.length < 2 ||
    !sizes.every((n) => Number.isSafeInteger(n) && n >= 1)
  ) {
    throw bad(`${prefix}sizes is ${excerpt(sizes)}, not a list of two or more layer sizes`);
  }
  if (
    !Array.isArray(names) || names.length !== sizes.length - 1 ||
    !names.every((n) => typeof n === "string" && knownActivation(n))
  ) {
    throw bad(
      `${prefix}activations is ${excerpt(names)}, not ${sizes.length - 1} of ${
        activationNames.join(", ")
      } (with their parameters, e.g. leaky-relu:0.01)`,
    );
  }
  if (dtype !== "float32" && dtype !== "float64") {
    throw bad(`${prefix}dtype is ${excerpt(dtype)}, not "float32" or "float64"`);
  }
}

/** Whether `text` names an activation of the registry with valid parameters. */
function knownActivation(text: string): boolean {
  try {
    resolveActivation(text as ActivationSpec);
    return true;
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) return false;
    throw e;
  }
}

/** A short, escaped excerpt of a value for a message. */
function excerpt(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
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
