/**
 * The whole training pipeline for several epochs, as one stream of events.
 *
 *     source() → samples → batches(M) → TrainStream → step events
 *                                           └ after each epoch: evaluate(test) → epoch event
 *
 * The source is opened anew for each epoch, so a file is read as a stream each
 * time and memory stays bounded by the stream queues, not by the file's size.
 *
 * @module
 */

import { evaluate } from "./evaluate.ts";
import type { LossName } from "./losses.ts";
import type { Network } from "./network.ts";
import type { Optimizer } from "./optimizers.ts";
import { batches } from "./streams/batches.ts";
import type { Sample } from "./streams/sample.ts";
import { type StepEvent, TrainStream } from "./streams/train_stream.ts";

/**
 * What {@linkcode train} reports at the end of each epoch.
 *
 * @example
 * ```ts
 * import type { EpochEvent } from "@fullmatrix/backprop";
 * const line = (e: EpochEvent) => `epoch ${e.epoch}: ${e.samplesPerSec.toFixed(0)} samples/s`;
 * ```
 */
export interface EpochEvent {
  /** Tells epoch events from step events. */
  type: "epoch";
  /** The epoch just finished, from 1. */
  epoch: number;
  /** Steps taken so far, across epochs. */
  step: number;
  /** The mean batch loss over the epoch, weighted by batch size. */
  trainLoss: number;
  /** Loss on the test data, when there is test data. */
  testLoss?: number;
  /** Accuracy on the test data, for classification with test data. */
  testAccuracy?: number;
  /** Training samples per second in this epoch (reading and parsing included, testing not). */
  samplesPerSec: number;
  /** Wall time of the epoch's training, in seconds. */
  seconds: number;
}

/**
 * Every event of a training run.
 *
 * @example
 * ```ts
 * import type { TrainEvent } from "@fullmatrix/backprop";
 * const isEpoch = (e: TrainEvent) => e.type === "epoch";
 * ```
 */
export type TrainEvent = StepEvent | EpochEvent;

/**
 * Settings of {@linkcode train}.
 *
 * @example
 * ```ts
 * import { Network, SGD, type TrainOptions } from "@fullmatrix/backprop";
 * const opts: TrainOptions = {
 *   network: new Network({ sizes: [2, 1], activations: "sigmoid" }),
 *   data: () => ReadableStream.from([{ x: new Float32Array([0, 1]), y: new Float32Array([1]) }]),
 *   loss: "quadratic",
 *   optimizer: new SGD({ learningRate: 1 }),
 * };
 * ```
 */
export interface TrainOptions {
  /** The network to train (its parameters change in place). */
  network: Network;
  /** Opens the training samples; called once per epoch. */
  data: () => ReadableStream<Sample> | Promise<ReadableStream<Sample>>;
  /** Opens the test samples; called after each epoch. */
  test?: () => ReadableStream<Sample> | Promise<ReadableStream<Sample>>;
  /** The loss to minimise. */
  loss: LossName;
  /** How gradients change the parameters. */
  optimizer: Optimizer;
  /** Whether targets are one-hot classes (accuracy is reported); default true. */
  classification?: boolean;
  /** Number of epochs; default 1. */
  epochs?: number;
  /** Mini-batch size `M`; default 32. */
  batchSize?: number;
  /** Attach a parameter snapshot to every this many steps; 0 (default) never. */
  snapshotEvery?: number;
}

/**
 * Trains for `epochs` epochs and streams a {@linkcode StepEvent} per batch and
 * an {@linkcode EpochEvent} per epoch. Nothing runs until the stream is read;
 * cancelling it (or `break` in `for await`) stops training and closes the source.
 *
 * @example Learn y = x on two points
 * ```ts
 * import { Network, SGD, train } from "@fullmatrix/backprop";
 * const network = new Network({ sizes: [1, 1], activations: "identity", seed: 1 });
 * const points = [0, 1].map((v) => ({ x: new Float32Array([v]), y: new Float32Array([v]) }));
 * const events = train({
 *   network, loss: "quadratic", optimizer: new SGD({ learningRate: 0.5 }),
 *   data: () => ReadableStream.from(points), epochs: 200, batchSize: 2, classification: false,
 * });
 * let last = Infinity;
 * for await (const e of events) if (e.type === "epoch") last = e.trainLoss;
 * console.assert(last < 1e-3);
 * ```
 */
export function train(options: TrainOptions): ReadableStream<TrainEvent> {
  return ReadableStream.from(epochs(options));
}

async function* epochs(options: TrainOptions): AsyncGenerator<TrainEvent> {
  const {
    network,
    loss,
    optimizer,
    classification = true,
    epochs = 1,
    batchSize = 32,
    snapshotEvery = 0,
  } = options;
  let step = 0, samplesSeen = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    let lossSum = 0, count = 0;
    const trainer = new TrainStream(network, {
      loss,
      optimizer,
      epoch,
      step,
      samplesSeen,
      snapshotEvery,
    });
    const steps = (await options.data()).pipeThrough(batches(batchSize)).pipeThrough(trainer);
    for await (const event of steps) {
      lossSum += event.loss * event.batchSize;
      count += event.batchSize;
      ({ step, samplesSeen } = event);
      yield event;
    }
    const seconds = (performance.now() - started) / 1000;
    const done: EpochEvent = {
      type: "epoch",
      epoch,
      step,
      trainLoss: lossSum / count,
      samplesPerSec: count / seconds,
      seconds,
    };
    if (options.test) {
      const result = await evaluate(network, await options.test(), { loss, classification });
      done.testLoss = result.loss;
      if (result.accuracy !== undefined) done.testAccuracy = result.accuracy;
    }
    yield done;
  }
}
