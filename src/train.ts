/**
 * The whole training pipeline for several epochs, as one stream of events.
 *
 *     data(epoch) → [shuffle] → batches(M) → TrainStream → step events
 *                                               └ epoch end: evaluate(validation) → epoch event
 *     … → end event (why training stopped; best parameters restored)
 *
 * The source is opened anew for each epoch, so a file is read as a stream each
 * time and memory stays bounded by the stream queues, not by the file's size.
 * Everything that varies between epochs (the shuffle order) derives from
 * `(seed, epoch)`, so a run resumed after epoch `k` matches an uninterrupted one.
 *
 * @module
 */

import type { EarlyStopping, Monitor } from "./early_stopping.ts";
import { resolveActivation } from "./activations.ts";
import { evaluate } from "./evaluate.ts";
import { lossFor, type LossName } from "./losses.ts";
import type { Network } from "./network.ts";
import { CLASSIFICATION_DEFAULT } from "./metrics.ts";
import type { Optimizer } from "./optimizers.ts";
import type { Schedule } from "./schedules.ts";
import { type Batch, batches } from "./streams/batches.ts";
import { readAll, streamOf } from "./streams/_portable.ts";
import type { Sample } from "./streams/sample.ts";
import { epochSeed, shuffleBuffer } from "./streams/shuffle.ts";
import { NonFiniteLossError, type StepEvent, TrainStream } from "./streams/train_stream.ts";

/**
 * What {@linkcode train} reports at the end of each epoch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type EpochEvent, Network, SGD, train } from "@fullmatrix/backprop";
 * const network = new Network({ sizes: [1, 2], activations: "softmax" });
 * const data = () => ReadableStream.from([{ x: new Float32Array([1]), y: new Float32Array([1, 0]) }]);
 * const events = await Array.fromAsync(
 *   train({ network, data, loss: "cross-entropy", optimizer: new SGD({ learningRate: 0.1 }), epochs: 2 }),
 * );
 * const epochs = events.filter((e): e is EpochEvent => e.type === "epoch");
 * assert.deepEqual(epochs.map((e) => [e.epoch, e.step, e.samplesSeen]), [[1, 1, 1], [2, 2, 2]]);
 * assert.ok(epochs.every((e) => e.trainAccuracy !== undefined && e.validationLoss === undefined));
 * ```
 */
export interface EpochEvent {
  /** Tells epoch events from the others. */
  type: "epoch";
  /** The epoch just finished, from 1. */
  epoch: number;
  /** Steps taken so far, across epochs. */
  step: number;
  /** Samples trained on so far, across epochs. */
  samplesSeen: number;
  /** The mean batch loss over the epoch, weighted by batch size. */
  trainLoss: number;
  /** Classification: the fraction of training samples classified right (before each batch's update). */
  trainAccuracy?: number;
  /** Loss on the validation data, when there is some. */
  validationLoss?: number;
  /** Classification: accuracy on the validation data. */
  validationAccuracy?: number;
  /** Regression: mean squared error on the validation data. */
  validationMSE?: number;
  /** Regression: mean absolute error on the validation data. */
  validationMAE?: number;
  /** The learning rate of the epoch's last step. */
  learningRate: number;
  /** Training samples per second in this epoch (reading and parsing included, validation not). */
  samplesPerSec: number;
  /** Wall time of the epoch's training, in seconds. */
  seconds: number;
  /** With early stopping: whether this epoch is the best so far. */
  best?: boolean;
}

/**
 * The last event of a run: why it stopped, and whether the best parameters were put back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type EndEvent, Network, SGD, train } from "@fullmatrix/backprop";
 * const network = new Network({ sizes: [1, 1], activations: "identity" });
 * const data = () => ReadableStream.from([{ x: new Float32Array([1]), y: new Float32Array([1]) }]);
 * const events = await Array.fromAsync(
 *   train({ network, data, loss: "quadratic", optimizer: new SGD({ learningRate: 0.1 }), epochs: 3 }),
 * );
 * const end = events.at(-1) as EndEvent;
 * assert.deepEqual([end.type, end.reason, end.epoch, end.step], ["end", "completed", 3, 3]);
 * ```
 */
export interface EndEvent {
  /** Tells the end event from the others. */
  type: "end";
  /** `completed` (all epochs), `early-stopping`, `aborted` (the signal), or `non-finite` (NaN/Inf loss). */
  reason: "completed" | "early-stopping" | "aborted" | "non-finite";
  /** The last epoch that finished. */
  epoch: number;
  /** Steps taken in all. */
  step: number;
  /** With early stopping: the epoch whose parameters the network now holds. */
  bestEpoch?: number;
  /** Whether the parameters of `bestEpoch` were restored. */
  restoredBest: boolean;
  /** For `non-finite`: what happened, in a sentence. */
  message?: string;
}

/**
 * Every event of a training run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network, SGD, train, type TrainEvent } from "@fullmatrix/backprop";
 * const network = new Network({ sizes: [1, 1], activations: "identity" });
 * const data = () => ReadableStream.from([{ x: new Float32Array([1]), y: new Float32Array([1]) }]);
 * const events: TrainEvent[] = await Array.fromAsync(
 *   train({ network, data, loss: "quadratic", optimizer: new SGD({ learningRate: 0.1 }) }),
 * );
 * assert.deepEqual(events.map((e) => e.type), ["step", "epoch", "end"]);
 * ```
 */
export type TrainEvent = StepEvent | EpochEvent | EndEvent;

/**
 * Where a resumed run starts: the counters after the last finished epoch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network, SGD, train, type TrainStart } from "@fullmatrix/backprop";
 * const network = new Network({ sizes: [1, 1], activations: "identity" });
 * const data = () => ReadableStream.from([{ x: new Float32Array([1]), y: new Float32Array([1]) }]);
 * const afterThree: TrainStart = { epoch: 3, step: 3, samplesSeen: 3 };
 * const events = await Array.fromAsync(train({
 *   network, data, loss: "quadratic", optimizer: new SGD({ learningRate: 0.1 }), epochs: 4, start: afterThree,
 * }));
 * assert.equal(events.length, 3); // only epoch 4: its step, its epoch event, the end
 * assert.equal(events[0].type === "step" && events[0].step, 4);
 * ```
 */
export interface TrainStart {
  /** Epochs already done. */
  epoch: number;
  /** Steps already taken. */
  step: number;
  /** Samples already seen. */
  samplesSeen: number;
  /** Batches of the next epoch already trained (a run stopped mid-epoch); they are skipped. */
  batchesIntoEpoch?: number;
}

/**
 * Settings of {@linkcode train}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network, SGD, train, type TrainOptions } from "@fullmatrix/backprop";
 * const opts: TrainOptions = {
 *   network: new Network({ sizes: [2, 1], activations: "sigmoid" }),
 *   data: () => ReadableStream.from([{ x: new Float32Array([0, 1]), y: new Float32Array([1]) }]),
 *   loss: "quadratic",
 *   optimizer: new SGD({ learningRate: 1 }),
 *   classification: false,
 * };
 * const events = await Array.fromAsync(train(opts));
 * assert.equal(events.at(-1)!.type, "end");
 * ```
 */
export interface TrainOptions {
  /** The network to train (its parameters change in place). */
  network: Network;
  /** Opens the training samples; called once per epoch (from 1). */
  data?: (epoch: number) => ReadableStream<Sample> | Promise<ReadableStream<Sample>>;
  /**
   * Opens an epoch as ready mini-batches instead (e.g. {@linkcode SampleCache.batches});
   * when given, `data`, `shuffle` and the batching stage are not used.
   */
  batchData?: (epoch: number, batchSize: number) => ReadableStream<Batch>;
  /** Opens the validation samples; called after each epoch. */
  validation?: (epoch: number) => ReadableStream<Sample> | Promise<ReadableStream<Sample>>;
  /** The loss to minimise. */
  loss: LossName;
  /** How gradients change the parameters. */
  optimizer: Optimizer;
  /** The learning rate for each 0-based step; default: the optimizer's, unchanged. Its `epochEnd`, if any, gets each epoch's losses. */
  schedule?: Schedule;
  /** Whether targets are one-hot classes (accuracy is reported); default true. */
  classification?: boolean;
  /** The last epoch to run; default 1. */
  epochs?: number;
  /** Mini-batch size `M`; default 32. */
  batchSize?: number;
  /** Pass each epoch through a seeded shuffle buffer of this many samples (seeded by `(seed, epoch)`). */
  shuffle?: { seed: number; bufferSize: number };
  /** Stop when a metric stops improving, and restore the best parameters at the end. */
  earlyStopping?: EarlyStopping;
  /** Stop after the current batch once aborted. */
  signal?: AbortSignal;
  /** Resume after this point instead of starting at epoch 1. */
  start?: TrainStart;
  /** Attach a parameter snapshot to every this many steps; 0 (default) never. */
  snapshotEvery?: number;
}

/**
 * Trains epoch after epoch and streams a {@linkcode StepEvent} per batch, an
 * {@linkcode EpochEvent} per epoch and one {@linkcode EndEvent}. Nothing runs
 * until the stream is read; cancelling it (or `break` in `for await`) stops
 * training and closes the source. Bad data errors the stream once; a NaN or
 * infinite loss ends the run with reason `non-finite`, keeping the last good
 * parameters.
 *
 * @example Learn y = x on two points
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network, SGD, train } from "@fullmatrix/backprop";
 * const network = new Network({ sizes: [1, 1], activations: "identity", seed: 1 });
 * const points = [0, 1].map((v) => ({ x: new Float32Array([v]), y: new Float32Array([v]) }));
 * const events = train({
 *   network, loss: "quadratic", optimizer: new SGD({ learningRate: 0.5 }),
 *   data: () => ReadableStream.from(points), epochs: 200, batchSize: 2, classification: false,
 * });
 * let last = Infinity;
 * for await (const e of events) if (e.type === "epoch") last = e.trainLoss;
 * assert.ok(last < 1e-3);
 * ```
 */
export function train(options: TrainOptions): ReadableStream<TrainEvent> {
  return streamOf(run(options));
}

async function* run(options: TrainOptions): AsyncGenerator<TrainEvent> {
  checkOptions(options);
  const { network, epochs = 1, earlyStopping, signal } = options;
  let { epoch: done, step, samplesSeen, batchesIntoEpoch: skip = 0 } = options.start ??
    { epoch: 0, step: 0, samplesSeen: 0 };
  let reason: EndEvent["reason"] = "completed", message: string | undefined;
  if (earlyStopping?.monitor.startsWith("validation") && !options.validation) {
    throw new RangeError(
      `early stopping monitors ${earlyStopping.monitor}, but there is no validation data`,
    );
  }
  while (done < epochs) {
    const epoch = done + 1;
    const summary = new EpochSummary();
    try {
      for await (const event of readAll(await steps(options, epoch, step, samplesSeen, skip))) {
        summary.add(event);
        ({ step, samplesSeen } = event);
        yield event;
      }
    } catch (e) {
      if (!(e instanceof NonFiniteLossError)) throw e;
      [reason, message] = ["non-finite", e.message];
      break;
    }
    if (signal?.aborted) {
      reason = "aborted";
      break;
    }
    const event = await summary.finish(options, epoch, step, samplesSeen);
    [done, skip] = [epoch, 0];
    options.schedule?.epochEnd?.({
      epoch,
      trainLoss: event.trainLoss,
      validationLoss: event.validationLoss,
    });
    const stop = earlyStopping?.update(epoch, metric(event, earlyStopping.monitor), network);
    if (earlyStopping) event.best = earlyStopping.bestEpoch === epoch;
    yield event;
    if (stop) {
      reason = "early-stopping";
      break;
    }
  }
  const restoredBest = reason !== "non-finite" && (earlyStopping?.restoreBest(network) ?? false);
  const end: EndEvent = { type: "end", reason, epoch: done, step, restoredBest };
  if (earlyStopping) end.bestEpoch = earlyStopping.bestEpoch;
  if (message) end.message = message;
  yield end;
}

/** One epoch's step events: the data through the shuffle, the batcher and the trainer. */
async function steps(
  options: TrainOptions,
  epoch: number,
  step: number,
  samplesSeen: number,
  skipBatches: number,
): Promise<ReadableStream<StepEvent>> {
  const { network, loss, optimizer, schedule, signal, shuffle } = options;
  const { classification = CLASSIFICATION_DEFAULT } = options;
  const batchSize = options.batchSize ?? 32;
  const trainer = new TrainStream(network, {
    loss,
    optimizer,
    epoch,
    step,
    samplesSeen,
    schedule,
    signal,
    classification,
    snapshotEvery: options.snapshotEvery,
  });
  // The epoch's order is fixed by (seed, epoch), so skipping what was trained resumes it exactly.
  if (options.batchData) {
    const ready = options.batchData(epoch, batchSize);
    return (skipBatches > 0 ? ready.pipeThrough(skipping<Batch>(skipBatches)) : ready).pipeThrough(
      trainer,
    );
  }
  if (!options.data) throw new TypeError("train: give `data` (samples) or `batchData` (batches)");
  let samples = await options.data(epoch);
  if (shuffle) {
    samples = samples.pipeThrough(
      shuffleBuffer(shuffle.bufferSize, epochSeed(shuffle.seed, epoch)),
    );
  }
  if (skipBatches > 0) samples = samples.pipeThrough(skipping<Sample>(skipBatches * batchSize));
  return samples.pipeThrough(batches(batchSize)).pipeThrough(trainer);
}

/** Drops the first `count` chunks (none when `count` is 0). */
function skipping<T>(count: number): TransformStream<T, T> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      if (seen++ >= count) controller.enqueue(chunk);
    },
  });
}

/** Adds up an epoch's step events into its {@linkcode EpochEvent}. */
class EpochSummary {
  #started = performance.now();
  #loss = 0;
  #correct = 0;
  #count = 0;
  #learningRate = NaN;

  add(event: StepEvent): void {
    this.#loss += event.loss * event.batchSize;
    this.#correct += event.correct ?? 0;
    this.#count += event.batchSize;
    this.#learningRate = event.learningRate;
  }

  async finish(
    options: TrainOptions,
    epoch: number,
    step: number,
    samplesSeen: number,
  ): Promise<EpochEvent> {
    const seconds = (performance.now() - this.#started) / 1000;
    const { classification = CLASSIFICATION_DEFAULT } = options;
    const event: EpochEvent = {
      type: "epoch",
      epoch,
      step,
      samplesSeen,
      trainLoss: this.#loss / this.#count,
      learningRate: this.#learningRate,
      samplesPerSec: this.#count / seconds,
      seconds,
    };
    if (classification) event.trainAccuracy = this.#correct / this.#count;
    if (options.validation) {
      const v = await evaluate(options.network, await options.validation(epoch), {
        loss: options.loss,
        classification,
      });
      event.validationLoss = v.loss;
      if (classification) event.validationAccuracy = v.accuracy;
      else [event.validationMSE, event.validationMAE] = [v.mse, v.mae];
    }
    return event;
  }
}

function metric(event: EpochEvent, monitor: Monitor): number {
  const value = event[monitor];
  if (value === undefined) {
    throw new RangeError(`early stopping monitors ${monitor}, which this run does not measure`);
  }
  return value;
}

/** Bad settings are a `RangeError`/`TypeError` naming the setting, before anything runs. */
function checkOptions(options: TrainOptions): void {
  const { epochs = 1, batchSize = 32, snapshotEvery = 0, shuffle, start } = options;
  const integer = (name: string, value: unknown, min: number) => {
    if (!(Number.isInteger(value) && (value as number) >= min)) {
      throw new RangeError(`train: ${name} must be an integer >= ${min}, got ${value}`);
    }
  };
  if (typeof options.network?.gradients !== "function") {
    throw new TypeError("train: network must be a Network");
  }
  if (typeof options.optimizer?.step !== "function") {
    throw new TypeError("train: optimizer must be an Optimizer");
  }
  if (options.schedule !== undefined && typeof options.schedule !== "function") {
    throw new TypeError("train: schedule must be a function of the step");
  }
  lossFor(options.loss, resolveActivation(options.network.activations.at(-1)!).name);
  integer("epochs", epochs, 1);
  integer("batchSize", batchSize, 1);
  integer("snapshotEvery", snapshotEvery, 0);
  if (shuffle) {
    integer("shuffle.bufferSize", shuffle.bufferSize, 1);
    integer("shuffle.seed", shuffle.seed, 0);
  }
  if (start) {
    integer("start.epoch", start.epoch, 0);
    integer("start.step", start.step, 0);
    integer("start.samplesSeen", start.samplesSeen, 0);
    integer("start.batchesIntoEpoch", start.batchesIntoEpoch ?? 0, 0);
  }
}
