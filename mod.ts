/**
 * # @fullmatrix/backprop
 *
 * Train fully-connected neural networks with the **full-matrix method** of
 * mini-batch back-propagation, as a pipeline of Web Streams.
 *
 * A mini-batch is one matrix with the samples as columns, so the forward pass
 * and the four equations of backprop are a few matrix products for the whole
 * batch (see {@linkcode Network.gradients}). {@linkcode perSampleGradients} is
 * the textbook per-sample method, kept to show that both agree.
 *
 *     bytes → csvSamples → batches(M) → TrainStream → step events
 *
 * This entry is the core and depends on no npm package; it runs in Deno, Node
 * and browsers (`network.kernels` says which kernels and threads run there).
 * Optional parts are entries of their own: `@fullmatrix/backprop/plot`
 * (learning curves as SVG, with d3) and `@fullmatrix/backprop/onnx` (export).
 *
 * @example Train on a CSV file for a few epochs
 * ```ts ignore
 * import { csvSamples, Network, SGD, train } from "@fullmatrix/backprop";
 *
 * const network = new Network({ sizes: [64, 32, 10], activations: ["relu", "softmax"], seed: 1 });
 * const open = async () =>
 *   csvSamples((await Deno.open("data/digits_train.csv")).readable, { classes: 10, scale: 1 / 16 });
 * for await (const e of train({ network, data: open, loss: "cross-entropy", optimizer: new SGD({ learningRate: 0.1 }), epochs: 5 })) {
 *   if (e.type === "epoch") console.log(e.epoch, e.trainLoss);
 * }
 * ```
 *
 * @module
 */

export {
  type Activation,
  activation,
  type ActivationEntry,
  type ActivationName,
  activationNames,
  type ActivationParam,
  activations,
  type ActivationSpec,
  activationText,
  hiddenActivationNames,
  type Initializer,
  resolveActivation,
  type ResolvedActivation,
} from "./src/activations.ts";
export { DataError } from "./src/errors.ts";
export { csvSamples, type CsvSamplesOptions, discoverClasses } from "./src/streams/csv_samples.ts";
export { evaluate, type Evaluation } from "./src/evaluate.ts";
export { argmaxColumns, countCorrect } from "./src/metrics.ts";
export {
  type Loss,
  type LossEntry,
  losses,
  lossFor,
  type LossName,
  lossNames,
  lossOutputs,
} from "./src/losses.ts";
export { type DType, type FloatArray, fromRows, type Matrix, toRows, zeros } from "./src/matrix.ts";
export {
  type Gradients,
  type Layer,
  type LayerGradient,
  Network,
  type NetworkOptions,
} from "./src/network.ts";
export {
  Adam,
  type AdamOptions,
  AdamW,
  makeOptimizer,
  type Optimizer,
  type OptimizerEntry,
  type OptimizerName,
  optimizerNames,
  optimizers,
  type OptimizerSettings,
  type OptimizerState,
  SGD,
  type SGDOptions,
} from "./src/optimizers.ts";
export {
  constantLR,
  cosineLR,
  type CosineLROptions,
  type EpochLosses,
  exponentialLR,
  type ExponentialLROptions,
  parseSchedule,
  type PlateauOptions,
  reduceOnPlateau,
  type Schedule,
  type ScheduleBase,
  type ScheduleEntry,
  scheduleForms,
  type ScheduleName,
  scheduleNames,
  schedules,
  stepLR,
  type StepLROptions,
} from "./src/schedules.ts";
export { epochSeed, shuffleBuffer } from "./src/streams/shuffle.ts";
export { SampleCache } from "./src/streams/sample_cache.ts";
export {
  type SplitOptions,
  splitValidation,
  type ValidationSplit,
} from "./src/validation_split.ts";
export { idxSamples, type IdxSamplesOptions } from "./src/streams/idx_samples.ts";
export {
  EarlyStopping,
  type EarlyStoppingOptions,
  type EarlyStoppingState,
  type Monitor,
  monitors,
} from "./src/early_stopping.ts";
export {
  type BackendName,
  backendNames,
  backends,
  recommendedThreads,
} from "./src/kernels/backend.ts";
export { defaultBlasPath } from "./src/kernels/blas.ts";
export { perSampleGradients } from "./src/per_sample.ts";
export { type Batch, batches, type InputWriter } from "./src/streams/batches.ts";
export type { Sample } from "./src/streams/sample.ts";
export {
  NonFiniteLossError,
  snapshot,
  type StepEvent,
  TrainStream,
  type TrainStreamOptions,
} from "./src/streams/train_stream.ts";
export {
  type EndEvent,
  type EpochEvent,
  train,
  type TrainEvent,
  type TrainOptions,
  type TrainStart,
} from "./src/train.ts";
export {
  type Architecture,
  type CheckpointInfo,
  type CheckpointParts,
  decodeCheckpoint,
  decodeModel,
  encodeCheckpoint,
  encodeModel,
} from "./src/checkpoint.ts";
export {
  decodeSafetensors,
  encodeSafetensors,
  loadNetworkTensors,
  networkTensors,
  type Safetensors,
  type SafetensorsDType,
  type Tensor,
} from "./src/safetensors.ts";
