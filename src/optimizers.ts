/**
 * Optimizers: how a step's gradients change the parameters.
 *
 * @module
 */

import type { Matrix } from "./matrix.ts";
import type { Layer, LayerGradient } from "./network.ts";

/**
 * Updates parameters in place from their gradients, one step at a time.
 *
 * @example A custom optimizer
 * ```ts
 * import type { Optimizer } from "@fullmatrix/backprop";
 * const noop: Optimizer = { step() {} };
 * ```
 */
export interface Optimizer {
  /** Applies one update to every layer's `W` and `b`. */
  step(layers: Layer[], grads: LayerGradient[]): void;
}

/**
 * Settings of {@linkcode SGD}.
 *
 * @example
 * ```ts
 * import type { SGDOptions } from "@fullmatrix/backprop";
 * const opts: SGDOptions = { learningRate: 0.1, momentum: 0.9 };
 * ```
 */
export interface SGDOptions {
  /** The step size η. */
  learningRate: number;
  /** Momentum μ in [0, 1); 0 (the default) is plain SGD. */
  momentum?: number;
}

/**
 * Stochastic gradient descent, with optional (heavy-ball) momentum:
 *
 *     v ← μ v − η ∂C/∂θ        θ ← θ + v
 *
 * With `μ = 0` this is the seed's `θ ← θ − η ∂C/∂θ`.
 *
 * @example
 * ```ts
 * import { fromRows, SGD } from "@fullmatrix/backprop";
 * const layer = { W: fromRows([[1]]), b: fromRows([[0]]) };
 * new SGD({ learningRate: 0.5 }).step([layer], [{ dW: fromRows([[2]]), db: fromRows([[0]]) }]);
 * console.assert(layer.W.data[0] === 0);
 * ```
 */
export class SGD implements Optimizer {
  /** The step size η. */
  learningRate: number;
  /** Momentum μ. */
  readonly momentum: number;
  #velocity: Matrix[] = [];

  /** Validates and keeps the settings. */
  constructor(options: SGDOptions) {
    const { learningRate, momentum = 0 } = options;
    if (!(learningRate > 0)) {
      throw new RangeError(`SGD: learningRate must be > 0, got ${learningRate}`);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new RangeError(`SGD: momentum must be in [0, 1), got ${momentum}`);
    }
    this.learningRate = learningRate;
    this.momentum = momentum;
  }

  /** θ ← θ − η g, or the momentum update. */
  step(layers: Layer[], grads: LayerGradient[]): void {
    layers.forEach((layer, l) => {
      this.#update(2 * l, layer.W, grads[l].dW);
      this.#update(2 * l + 1, layer.b, grads[l].db);
    });
  }

  #update(slot: number, param: Matrix, grad: Matrix): void {
    const p = param.data, g = grad.data, eta = this.learningRate, mu = this.momentum;
    if (mu === 0) {
      for (let i = 0; i < p.length; i++) p[i] -= eta * g[i];
      return;
    }
    const v = (this.#velocity[slot] ??= {
      ...param,
      data: new (p.constructor as Float64ArrayConstructor)(p.length),
    }).data;
    for (let i = 0; i < p.length; i++) {
      v[i] = mu * v[i] - eta * g[i];
      p[i] += v[i];
    }
  }
}
