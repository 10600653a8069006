/**
 * The training step as a stream stage: batches in, step events out.
 *
 * Each batch runs forward, back-propagates by the four equations and updates
 * the parameters; the event carries the batch loss and, every `snapshotEvery`
 * steps, a deep copy of all parameters. A batch whose loss is NaN or infinite
 * is not applied, and neither is an update that makes any parameter NaN or
 * infinite (a finite loss can still take a step that overflows float32): the
 * stream errors with {@linkcode NonFiniteLossError} and the parameters are
 * those of the last good step. Keeping them costs one copy and one sum of the
 * parameters per step: on 784-512-512-10 (670k parameters, M = 32, wasm, one
 * thread) about 1 ms of a 4–5 ms step on a shared machine, a share that falls
 * as 1/M with wider batches (the products grow with M, the check does not). An aborted `signal` ends the
 * stream before the next batch. Being a `TransformStream`, it pulls a
 * batch only when its reader wants an event, so a slow consumer holds the
 * whole pipeline back instead of letting batches pile up.
 *
 * @module
 */

import { CLASSIFICATION_DEFAULT, countCorrect } from "../metrics.ts";
import type { LossName } from "../losses.ts";
import { cloneAll } from "../matrix.ts";
import type { Layer, LayerGradient, Network } from "../network.ts";
import type { Optimizer } from "../optimizers.ts";
import type { Batch } from "./batches.ts";
import { LastGood } from "./_last_good.ts";

/**
 * What one training step reports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, Network, SGD, type StepEvent, TrainStream } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [1, 1], activations: "identity" });
 * const stream = new TrainStream(net, { loss: "quadratic", optimizer: new SGD({ learningRate: 0.1 }), classification: false });
 * const batch = { x: fromRows([[1, 2, 3]]), y: fromRows([[1, 2, 3]]) };
 * const [e]: StepEvent[] = await Array.fromAsync(ReadableStream.from([batch]).pipeThrough(stream));
 * assert.deepEqual([e.type, e.epoch, e.step, e.batchSize, e.samplesSeen], ["step", 1, 1, 3, 3]);
 * ```
 */
export interface StepEvent {
  /** Tells step events from the other events of {@linkcode train}. */
  type: "step";
  /** The epoch, from 1. */
  epoch: number;
  /** The step, from 1, counted across epochs. */
  step: number;
  /** The number of samples in this batch (`M`). */
  batchSize: number;
  /** The batch loss before the update. */
  loss: number;
  /** Samples trained on so far, this batch included. */
  samplesSeen: number;
  /** The learning rate this step used. */
  learningRate: number;
  /** How many samples of the batch the network classified right before the update (classification only). */
  correct?: number;
  /** A copy of every layer's parameters after the update, every `snapshotEvery` steps. */
  snapshot?: Layer[];
}

/**
 * Settings of a {@linkcode TrainStream}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, Network, SGD, TrainStream, type TrainStreamOptions } from "@fullmatrix/backprop";
 * const opts: TrainStreamOptions = {
 *   loss: "quadratic", optimizer: new SGD({ learningRate: 3 }), step: 10, snapshotEvery: 11, classification: false,
 * };
 * const net = new Network({ sizes: [1, 1], activations: "identity" });
 * const batch = { x: fromRows([[1]]), y: fromRows([[1]]) };
 * const [e] = await Array.fromAsync(ReadableStream.from([batch]).pipeThrough(new TrainStream(net, opts)));
 * assert.equal(e.step, 11);
 * assert.ok(e.snapshot !== undefined); // step 11 is a multiple of snapshotEvery
 * ```
 */
export interface TrainStreamOptions {
  /** The loss to minimise. */
  loss: LossName;
  /** How gradients change the parameters. */
  optimizer: Optimizer;
  /** The epoch number to report; default 1. */
  epoch?: number;
  /** Steps already taken (the first event reports `step + 1`); default 0. */
  step?: number;
  /** Samples already seen; default 0. */
  samplesSeen?: number;
  /** Attach a parameter snapshot every this many steps; 0 (default) never. */
  snapshotEvery?: number;
  /** The learning rate for each 0-based step; default: the optimizer's own, unchanged. */
  schedule?: (step: number) => number;
  /** Count right answers against one-hot targets in each event's `correct`; default true. */
  classification?: boolean;
  /** Stop before the next batch once aborted; the stream then closes normally. */
  signal?: AbortSignal;
}

/**
 * The loss of a batch, or the parameters its update would give, were NaN or
 * infinite; the step was not applied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NonFiniteLossError } from "@fullmatrix/backprop";
 * assert.match(new NonFiniteLossError(NaN, 2, 17).message, /^loss became NaN at epoch 2, step 17/);
 * assert.match(new NonFiniteLossError(0.5, 1, 3, "parameters").message, /^the update made parameters/);
 * ```
 */
export class NonFiniteLossError extends Error {
  /** Builds the message from the loss and where it happened; `what` says which was non-finite. */
  constructor(loss: number, epoch: number, step: number, what: "loss" | "parameters" = "loss") {
    const found = what === "loss"
      ? `loss became ${loss}`
      : `the update made parameters non-finite (batch loss ${loss})`;
    super(
      `${found} at epoch ${epoch}, step ${step}; stopped with the parameters of the last good step (try a smaller learning rate)`,
    );
    this.name = "NonFiniteLossError";
  }
}

/**
 * Trains `network` on each batch that passes through and emits a {@linkcode StepEvent}.
 *
 * @example One step on one batch
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, Network, SGD, TrainStream } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [1, 1], activations: "identity" });
 * const step = new TrainStream(net, { loss: "quadratic", optimizer: new SGD({ learningRate: 0.1 }) });
 * const batch = { x: fromRows([[1, 2]]), y: fromRows([[2, 4]]) };
 * const [event] = await Array.fromAsync(ReadableStream.from([batch]).pipeThrough(step));
 * assert.ok(event.step === 1 && event.batchSize === 2);
 * ```
 */
export class TrainStream extends TransformStream<Batch, StepEvent> {
  /** Wires the step to `network`; its parameters change as batches flow. */
  constructor(network: Network, options: TrainStreamOptions) {
    const {
      loss,
      optimizer,
      epoch = 1,
      snapshotEvery = 0,
      schedule,
      classification = CLASSIFICATION_DEFAULT,
      signal,
    } = options;
    let step = options.step ?? 0, samplesSeen = options.samplesSeen ?? 0;
    for (
      const [name, value, min] of [
        ["epoch", epoch, 1],
        ["step", step, 0],
        ["samplesSeen", samplesSeen, 0],
        ["snapshotEvery", snapshotEvery, 0],
      ] as const
    ) {
      if (!(Number.isInteger(value) && value >= min)) {
        throw new RangeError(`TrainStream: ${name} must be an integer >= ${min}, got ${value}`);
      }
    }
    const { grads, lastGood } = scratchOf(network);
    super({
      transform(batch, controller) {
        if (signal?.aborted) return controller.terminate();
        if (schedule) optimizer.learningRate = schedule(step);
        const { y } = batch, size = y.cols;
        const result = network.batchGradients(batch, loss, grads);
        if (!Number.isFinite(result.loss)) {
          throw new NonFiniteLossError(result.loss, epoch, step + 1);
        }
        const correct = classification && result.output
          ? countCorrect(result.output, y)
          : undefined;
        if (!lastGood.step(network.layers, grads, optimizer)) {
          throw new NonFiniteLossError(result.loss, epoch, step + 1, "parameters");
        }
        step++;
        samplesSeen += size;
        const event: StepEvent = {
          type: "step",
          epoch,
          step,
          batchSize: size,
          loss: result.loss,
          samplesSeen,
          learningRate: optimizer.learningRate,
        };
        if (correct !== undefined) event.correct = correct;
        if (snapshotEvery > 0 && step % snapshotEvery === 0) event.snapshot = snapshot(network);
        controller.enqueue(event);
      },
    });
  }
}

/** What a network's steps write besides its parameters, in its own storage. */
interface Scratch {
  /** Where its kernels write the gradients in place. */
  grads: LayerGradient[];
  lastGood: LastGood;
}

/**
 * Each network's scratch, made once: a TrainStream is made per epoch, and a network's storage
 * is freed only with the network, so buffers made per stream piled up epoch after epoch.
 */
const scratch = new WeakMap<Network, Scratch>();

/** The scratch of `network`, its last good parameters those it has now. */
function scratchOf(network: Network): Scratch {
  let kept = scratch.get(network);
  if (kept) kept.lastGood.take(network.layers);
  else {scratch.set(
      network,
      kept = { grads: network.allocGradients(), lastGood: new LastGood(network) },
    );}
  return kept;
}

/**
 * A deep copy of the network's parameters, safe to keep while training goes on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network, snapshot } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [2, 1], activations: "sigmoid" });
 * const copy = snapshot(net);
 * net.layers[0].W.data[0] += 1;
 * assert.ok(copy[0].W.data[0] !== net.layers[0].W.data[0]);
 * ```
 */
export function snapshot(network: Network): Layer[] {
  return cloneAll(network.layers);
}
