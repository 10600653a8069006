/**
 * Early stopping: watch a metric at the end of each epoch, stop when it has not
 * improved for `patience` epochs, and hand back the parameters of the best
 * epoch — also when training simply runs out of epochs.
 *
 * Its whole state (best value, best epoch, epochs waited, the best parameters)
 * can be saved and restored, so a resumed run stops exactly where an
 * uninterrupted one would.
 *
 * @module
 */

import { cloneAll } from "./matrix.ts";
import type { Layer, Network } from "./network.ts";

/**
 * The metric early stopping watches; losses improve downwards, accuracy upwards.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EarlyStopping, type Monitor, Network } from "@fullmatrix/backprop";
 * const m: Monitor = "validationAccuracy";
 * const stop = new EarlyStopping({ monitor: m, patience: 1 });
 * const net = new Network({ sizes: [1, 1], activations: "identity" });
 * stop.update(1, 0.8, net);
 * assert.equal(stop.update(2, 0.9, net), false); // accuracy improves upwards
 * assert.equal(stop.bestEpoch, 2);
 * ```
 */
export type Monitor = keyof typeof monitors;

/**
 * The metrics early stopping can watch, each with the way it improves: the registry
 * {@linkcode Monitor} and a command line's choices derive from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { monitors } from "@fullmatrix/backprop";
 * assert.equal(monitors.validationAccuracy, "higher");
 * assert.deepEqual(Object.keys(monitors), ["validationLoss", "validationAccuracy", "trainLoss"]);
 * ```
 */
export const monitors = {
  validationLoss: "lower",
  validationAccuracy: "higher",
  trainLoss: "lower",
} as const satisfies Record<string, "lower" | "higher">;

/**
 * Settings of {@linkcode EarlyStopping}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EarlyStopping, type EarlyStoppingOptions } from "@fullmatrix/backprop";
 * const opts: EarlyStoppingOptions = { monitor: "validationLoss", patience: 3, minDelta: 1e-4 };
 * assert.equal(new EarlyStopping(opts).patience, 3);
 * assert.throws(() => new EarlyStopping({ patience: 0 }), RangeError);
 * ```
 */
export interface EarlyStoppingOptions {
  /** The metric to watch; default `"validationLoss"`. */
  monitor?: Monitor;
  /** Epochs without improvement before stopping; default 5. */
  patience?: number;
  /** The least change that counts as an improvement; default 0. */
  minDelta?: number;
}

/**
 * The saved state of an {@linkcode EarlyStopping}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EarlyStopping, type EarlyStoppingState } from "@fullmatrix/backprop";
 * const saved: EarlyStoppingState = { best: 0.25, bestEpoch: 4, wait: 1 };
 * const stop = new EarlyStopping();
 * stop.loadState(saved);
 * assert.deepEqual(stop.state(), saved);
 * ```
 */
export interface EarlyStoppingState {
  /** The best value so far, or null before the first epoch. */
  best: number | null;
  /** The epoch that reached it. */
  bestEpoch: number;
  /** Epochs since then. */
  wait: number;
}

/**
 * Watches one metric per epoch and keeps a copy of the best parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EarlyStopping, Network } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [1, 1], activations: "identity" });
 * const stop = new EarlyStopping({ monitor: "trainLoss", patience: 1 });
 * stop.update(1, 0.5, net); // best so far
 * assert.ok(stop.update(2, 0.7, net) === true); // no better for 1 epoch: stop
 * ```
 */
export class EarlyStopping {
  /** The metric watched. */
  readonly monitor: Monitor;
  /** Epochs without improvement before stopping. */
  readonly patience: number;
  /** The least change that counts as an improvement. */
  readonly minDelta: number;
  #state: EarlyStoppingState = { best: null, bestEpoch: 0, wait: 0 };
  #bestLayers: Layer[] | undefined;

  /** Validates and keeps the settings. */
  constructor(options: EarlyStoppingOptions = {}) {
    const { monitor = "validationLoss", patience = 5, minDelta = 0 } = options;
    if (typeof monitor !== "string" || !Object.hasOwn(monitors, monitor)) {
      throw new RangeError(
        `EarlyStopping: unknown monitor ${JSON.stringify(monitor)}; expected one of ${
          Object.keys(monitors).join(", ")
        }`,
      );
    }
    if (!(Number.isInteger(patience) && patience >= 1)) {
      throw new RangeError(`EarlyStopping: patience must be a whole number ≥ 1, got ${patience}`);
    }
    if (!(minDelta >= 0)) {
      throw new RangeError(`EarlyStopping: minDelta must be ≥ 0, got ${minDelta}`);
    }
    this.monitor = monitor;
    this.patience = patience;
    this.minDelta = minDelta;
  }

  /** Records the metric of `epoch`; true when training should stop. */
  update(epoch: number, value: number, network: Network): boolean {
    const s = this.#state;
    const sign = monitors[this.monitor] === "higher" ? -1 : 1; // turn "higher is better" into "lower"
    if (s.best === null || sign * value < sign * s.best - this.minDelta) {
      this.#state = { best: value, bestEpoch: epoch, wait: 0 };
      this.#bestLayers = cloneAll(network.layers);
      return false;
    }
    s.wait++;
    return s.wait >= this.patience;
  }

  /** The best epoch so far (0 before any). */
  get bestEpoch(): number {
    return this.#state.bestEpoch;
  }

  /** The parameters of the best epoch, if any epoch was recorded. */
  get bestLayers(): Layer[] | undefined {
    return this.#bestLayers;
  }

  /** Copies the best parameters into `network`; false when there is nothing to restore. */
  restoreBest(network: Network): boolean {
    if (!this.#bestLayers) return false;
    network.layers.forEach(({ W, b }, l) => {
      W.data.set(this.#bestLayers![l].W.data);
      b.data.set(this.#bestLayers![l].b.data);
    });
    return true;
  }

  /** The state to save in a checkpoint (the best parameters go in their own file). */
  state(): EarlyStoppingState {
    return { ...this.#state };
  }

  /** Restores a saved state and best parameters. */
  loadState(state: EarlyStoppingState, bestLayers?: Layer[]): void {
    this.#state = { ...state };
    this.#bestLayers = bestLayers && cloneAll(bestLayers);
  }
}
