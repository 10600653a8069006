/**
 * Optimizers: how a step's gradients change the parameters.
 *
 * Each optimizer keeps what it learns between steps (a velocity, running moments) as
 * named typed arrays, so a checkpoint can save it with {@linkcode Optimizer.state} and a
 * resumed run can restore it with {@linkcode Optimizer.loadState} and continue bit for
 * bit as if it had never stopped. The learning rate is a plain writable field, so a
 * schedule can set it before each step.
 *
 * {@linkcode optimizers} is the registry of the built-in ones by name; a command
 * line builds one with {@linkcode makeOptimizer} from plain settings, and a new
 * optimizer is one class and one entry there.
 *
 * @module
 */

import { wasmKernelsOf } from "./kernels/backend.ts";
import type { FloatArray } from "./matrix.ts";
import type { Layer, LayerGradient } from "./network.ts";

/**
 * Everything an optimizer carries from step to step, as plain data for a checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SGD } from "@fullmatrix/backprop";
 * const state = new SGD({ learningRate: 0.1, momentum: 0.9 }).state();
 * assert.ok(state.kind === "sgd" && state.step === 0 && state.scalars.momentum === 0.9);
 * ```
 */
export interface OptimizerState {
  /** Which optimizer wrote it, e.g. `"sgd"` or `"adam"`. */
  kind: string;
  /** Steps taken. */
  step: number;
  /** The learning rate and the settings, by name (booleans as 0 or 1). */
  scalars: Record<string, number>;
  /** Per-parameter buffers, named like `"velocity.0.W"`: buffer, layer from 0, parameter. */
  tensors: Record<string, FloatArray>;
}

/**
 * Updates parameters in place from their gradients, one step at a time.
 *
 * @example A custom optimizer: plain gradient descent with nothing to remember
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, type Optimizer } from "@fullmatrix/backprop";
 * let steps = 0;
 * const descent: Optimizer = {
 *   learningRate: 0.5,
 *   step(layers, grads) {
 *     steps++;
 *     layers.forEach(({ W }, l) => W.data.forEach((w, i) => W.data[i] = w - this.learningRate * grads[l].dW.data[i]));
 *   },
 *   state: () => ({ kind: "descent", step: steps, scalars: {}, tensors: {} }),
 *   loadState(s) { steps = s.step; },
 * };
 * const layer = { W: fromRows([[1]]), b: fromRows([[0]]) };
 * descent.step([layer], [{ dW: fromRows([[2]]), db: fromRows([[0]]) }]);
 * assert.equal(layer.W.data[0], 0);
 * assert.equal(descent.state().step, 1);
 * ```
 */
export interface Optimizer {
  /** Applies one update to every layer's `W` and `b`. */
  step(layers: Layer[], grads: LayerGradient[]): void;
  /**
   * Optional: `step`, and the new parameters copied into `copies` (shaped like `layers`) with
   * their sum returned, in one pass where the optimizer can (plain SGD on wasm storage); where
   * it cannot, `undefined`, having changed nothing. Training checks each step's parameters so.
   */
  stepAndCopy?(layers: Layer[], grads: LayerGradient[], copies: Layer[]): number | undefined;
  /** The step size η; a schedule sets it before each step. */
  learningRate: number;
  /** A deep copy of the state, safe to keep while training goes on. */
  state(): OptimizerState;
  /** Restores a state taken by {@linkcode Optimizer.state}, so training continues exactly. */
  loadState(state: OptimizerState): void;
}

/**
 * Settings of {@linkcode SGD}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SGD, type SGDOptions } from "@fullmatrix/backprop";
 * const opts: SGDOptions = { learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 };
 * assert.equal(new SGD(opts).nesterov, true);
 * assert.throws(() => new SGD({ learningRate: 0.1, nesterov: true }), /nesterov needs momentum/);
 * ```
 */
export interface SGDOptions {
  /** The step size η. */
  learningRate: number;
  /** Momentum μ in [0, 1); 0 (the default) is plain SGD. */
  momentum?: number;
  /** Nesterov's look-ahead momentum instead of heavy-ball; needs `momentum > 0`. Default false. */
  nesterov?: boolean;
  /** L2 penalty λ ≥ 0 on the weights `W` (biases are not decayed). Default 0. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent, with optional momentum and L2 weight decay:
 *
 *     g ← ∂C/∂θ + λθ          (λ for weights only)
 *     v ← μ v − η g
 *     θ ← θ + v               heavy-ball (default)
 *     θ ← θ + μ v − η g       Nesterov
 *
 * With `μ = 0` and `λ = 0` this is the textbook `θ ← θ − η ∂C/∂θ`. The Nesterov form is
 * Sutskever's rewriting of the look-ahead gradient, which needs no second forward pass.
 * Biases are not decayed: one per unit, they hardly add capacity, and shrinking them only
 * pulls the fit off centre.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, SGD } from "@fullmatrix/backprop";
 * const layer = { W: fromRows([[1]]), b: fromRows([[0]]) };
 * new SGD({ learningRate: 0.5 }).step([layer], [{ dW: fromRows([[2]]), db: fromRows([[0]]) }]);
 * assert.ok(layer.W.data[0] === 0);
 * ```
 */
export class SGD implements Optimizer {
  /** The step size η. */
  learningRate: number;
  /** Momentum μ. */
  readonly momentum: number;
  /** Whether the momentum is Nesterov's. */
  readonly nesterov: boolean;
  /** L2 penalty λ on the weights. */
  readonly weightDecay: number;
  #memory = new Memory("sgd", "SGD");

  /** Validates and keeps the settings. */
  constructor(options: SGDOptions) {
    const { learningRate, momentum = 0, nesterov = false, weightDecay = 0 } = options;
    checkLearningRate("SGD", learningRate);
    check("SGD", "momentum", momentum, momentum >= 0 && momentum < 1, "in [0, 1)");
    check("SGD", "weightDecay", weightDecay, weightDecay >= 0 && weightDecay < Infinity, ">= 0");
    if (nesterov && momentum === 0) throw new RangeError("SGD: nesterov needs momentum > 0");
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
  }

  /** θ ← θ − η g, or the momentum update. */
  step(layers: Layer[], grads: LayerGradient[]): void {
    this.#memory.step++;
    for (const param of parameters(layers, grads, this.weightDecay)) this.#update(param);
  }

  /**
   * Plain SGD (no momentum, no decay) on wasm storage: each parameter's step, copy and sum in
   * one SIMD pass (with the checks around it: A's 23 860 parameters 12.6–14.6 µs a step, B's
   * 109 386 47–57 µs, against 16.5–19 and 67–78 for the step and `copy_sum` apart); otherwise
   * `undefined`, and nothing done.
   */
  stepAndCopy(layers: Layer[], grads: LayerGradient[], copies: Layer[]): number | undefined {
    if (this.momentum !== 0 || this.weightDecay !== 0) return undefined;
    const params = parameters(layers, grads, 0);
    const into = copies.flatMap(({ W, b }) => [W.data, b.data]);
    const wasm = wasmKernelsOf(...params.flatMap(({ p, g }) => [p, g]), ...into);
    if (!wasm || into.length !== params.length) return undefined;
    this.#memory.step++;
    let sum = 0;
    params.forEach(({ p, g }, i) => sum += wasm.axpyCopySum(-this.learningRate, g, p, into[i]));
    return sum;
  }

  /** A deep copy of the step count, the settings and the velocities. */
  state(): OptimizerState {
    return this.#memory.save(this.#scalars());
  }

  /** Restores a state of an SGD with the same settings (else a `RangeError`). */
  loadState(state: OptimizerState): void {
    this.learningRate = this.#memory.load(state, this.#scalars());
  }

  #scalars(): Record<string, number> {
    return {
      learningRate: this.learningRate,
      momentum: this.momentum,
      nesterov: Number(this.nesterov),
      weightDecay: this.weightDecay,
    };
  }

  #update({ name, p, g, decay }: Parameter): void {
    const eta = this.learningRate, mu = this.momentum, nesterov = this.nesterov;
    if (mu === 0) {
      // Plain SGD on a network's wasm storage is one SIMD pass (float32 rounding of η, then of each step).
      const wasm = decay === 0 ? wasmKernelsOf(p, g) : undefined;
      if (wasm) return wasm.axpy(-eta, g, p);
      for (let i = 0; i < p.length; i++) p[i] -= eta * (g[i] + decay * p[i]);
      return;
    }
    const v = this.#memory.tensor(`velocity.${name}`, p);
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + decay * p[i];
      v[i] = mu * v[i] - eta * gi;
      // Heavy-ball adds v; Nesterov adds the step it would take from the look-ahead point.
      p[i] += nesterov ? mu * v[i] - eta * gi : v[i];
    }
  }
}

/**
 * Settings of {@linkcode Adam}; every field has the usual default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Adam, type AdamOptions } from "@fullmatrix/backprop";
 * const opts: AdamOptions = { learningRate: 3e-4, beta2: 0.99 };
 * const adam = new Adam(opts);
 * assert.deepEqual([adam.beta1, adam.beta2, adam.epsilon], [0.9, 0.99, 1e-8]); // defaults fill the rest
 * ```
 */
export interface AdamOptions {
  /** The step size η. Default 0.001. */
  learningRate?: number;
  /** Decay β1 in [0, 1) of the running mean of gradients. Default 0.9. */
  beta1?: number;
  /** Decay β2 in [0, 1) of the running mean of squared gradients. Default 0.999. */
  beta2?: number;
  /** ε > 0 added to the root of the second moment, so the step stays finite. Default 1e-8. */
  epsilon?: number;
  /** L2 penalty λ ≥ 0 on the weights `W`, added to the gradient (not AdamW's decoupled decay). */
  weightDecay?: number;
}

/**
 * Adam (Kingma and Ba): a step per parameter scaled by running moments of its gradient,
 * bias-corrected for their zero start:
 *
 *     g ← ∂C/∂θ + λθ          (λ for weights only, as in SGD)
 *     m ← β1 m + (1 − β1) g             m̂ = m / (1 − β1^t)
 *     v ← β2 v + (1 − β2) g²            v̂ = v / (1 − β2^t)
 *     θ ← θ − η m̂ / (√v̂ + ε)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Adam, fromRows } from "@fullmatrix/backprop";
 * const layer = { W: fromRows([[1]], "float64"), b: fromRows([[0]], "float64") };
 * const grad = { dW: fromRows([[5]], "float64"), db: fromRows([[0]], "float64") };
 * new Adam({ learningRate: 0.1 }).step([layer], [grad]);
 * assert.ok(Math.abs(layer.W.data[0] - 0.9) < 1e-6); // the first step is about η·sign(g)
 * ```
 */
export class Adam implements Optimizer {
  /** The step size η. */
  learningRate: number;
  /** Decay of the first moment. */
  readonly beta1: number;
  /** Decay of the second moment. */
  readonly beta2: number;
  /** Added to `√v̂`. */
  readonly epsilon: number;
  /** Weight decay λ on the weights: L2 added to the gradient (Adam) or decoupled (AdamW). */
  readonly weightDecay: number;
  #memory = new Memory(this.kind, this.label);

  /** The kind of its saved state, and its name in {@linkcode optimizers}. */
  get kind(): string {
    return "adam";
  }

  /** Its name in error messages. */
  get label(): string {
    return "Adam";
  }

  /** Whether the weight decay is decoupled from the moments (AdamW) instead of L2. */
  get decoupled(): boolean {
    return false;
  }

  /** Validates and keeps the settings. */
  constructor(options: AdamOptions = {}) {
    const { learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0 } =
      options;
    const label = this.label;
    checkLearningRate(label, learningRate);
    check(label, "beta1", beta1, beta1 >= 0 && beta1 < 1, "in [0, 1)");
    check(label, "beta2", beta2, beta2 >= 0 && beta2 < 1, "in [0, 1)");
    check(label, "epsilon", epsilon, epsilon > 0 && epsilon < Infinity, "> 0");
    check(label, "weightDecay", weightDecay, weightDecay >= 0 && weightDecay < Infinity, ">= 0");
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.weightDecay = weightDecay;
  }

  /** Updates the moments and takes one bias-corrected step. */
  step(layers: Layer[], grads: LayerGradient[]): void {
    const t = ++this.#memory.step;
    // Folding 1/(1 − β1^t) into the step size and 1/(1 − β2^t) under the root saves a division each.
    const size = this.learningRate / (1 - this.beta1 ** t), correction2 = 1 - this.beta2 ** t;
    for (const param of parameters(layers, grads, this.weightDecay)) {
      this.#update(param, size, correction2);
    }
  }

  /** A deep copy of the step count, the settings and both moments. */
  state(): OptimizerState {
    return this.#memory.save(this.#scalars());
  }

  /** Restores a state of an Adam with the same settings (else a `RangeError`). */
  loadState(state: OptimizerState): void {
    this.learningRate = this.#memory.load(state, this.#scalars());
  }

  #scalars(): Record<string, number> {
    const { learningRate, beta1, beta2, epsilon, weightDecay } = this;
    return { learningRate, beta1, beta2, epsilon, weightDecay };
  }

  #update({ name, p, g, decay }: Parameter, size: number, correction2: number): void {
    const m = this.#memory.tensor(`m.${name}`, p), v = this.#memory.tensor(`v.${name}`, p);
    const { beta1, beta2, epsilon } = this;
    // Decoupled (AdamW): θ shrinks by ηλ before the step and the moments see the bare gradient.
    const l2 = this.decoupled ? 0 : decay,
      shrink = this.decoupled ? 1 - this.learningRate * decay : 1;
    for (let i = 0; i < p.length; i++) {
      p[i] *= shrink;
      const gi = g[i] + l2 * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      p[i] -= size * m[i] / (Math.sqrt(v[i] / correction2) + epsilon);
    }
  }
}

/**
 * AdamW (Loshchilov and Hutter): Adam with the weight decay taken out of the
 * gradient. L2 added to the gradient is divided by `√v̂` like the rest of it, so
 * weights with large gradients are hardly decayed; decoupled, every weight shrinks
 * by the same factor each step, as PyTorch's `AdamW` does:
 *
 *     θ ← θ (1 − ηλ)          (λ for weights only; default 0.01, PyTorch's)
 *     then Adam's step on the bare gradient
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, makeOptimizer } from "@fullmatrix/backprop";
 * const layer = { W: fromRows([[2]], "float64"), b: fromRows([[0]], "float64") };
 * const zero = { dW: fromRows([[0]], "float64"), db: fromRows([[0]], "float64") };
 * makeOptimizer("adamw", { learningRate: 0.1, weightDecay: 0.5 }).step([layer], [zero]);
 * assert.equal(layer.W.data[0], 2 * (1 - 0.1 * 0.5)); // a zero gradient still decays the weight
 * ```
 */
export class AdamW extends Adam {
  /** Validates and keeps the settings; `weightDecay` defaults to 0.01. */
  constructor(options: AdamOptions = {}) {
    super({ ...options, weightDecay: options.weightDecay ?? 0.01 });
  }

  /** `"adamw"`. */
  override get kind(): string {
    return "adamw";
  }

  /** `"AdamW"`. */
  override get label(): string {
    return "AdamW";
  }

  /** True: the decay is decoupled. */
  override get decoupled(): boolean {
    return true;
  }
}

/** One parameter as an update sees it: its name in the state, values, gradient and L2 factor. */
interface Parameter {
  name: string;
  p: FloatArray;
  g: FloatArray;
  decay: number;
}

/** Every `W` and `b` with its gradient; only weights get the decay. */
function parameters(layers: Layer[], grads: LayerGradient[], weightDecay: number): Parameter[] {
  if (grads.length !== layers.length) {
    throw new RangeError(`optimizer: ${layers.length} layers but ${grads.length} gradients`);
  }
  return layers.flatMap(({ W, b }, l) => [
    { name: `${l}.W`, p: W.data, g: grads[l].dW.data, decay: weightDecay },
    { name: `${l}.b`, p: b.data, g: grads[l].db.data, decay: 0 },
  ]);
}

/**
 * What an optimizer remembers: the step count and named buffers shaped like the
 * parameters, made on first use; with saving and exact restoring.
 */
class Memory {
  step = 0;
  #tensors = new Map<string, FloatArray>();
  readonly #kind: string;
  readonly #label: string;

  constructor(kind: string, label: string) {
    this.#kind = kind;
    this.#label = label;
  }

  /** The buffer `name`, zeros like `param` the first time. */
  tensor(name: string, param: FloatArray): FloatArray {
    let buffer = this.#tensors.get(name);
    if (!buffer) {
      buffer = new (param.constructor as Float64ArrayConstructor)(param.length);
      this.#tensors.set(name, buffer);
    } else if (buffer.length !== param.length || buffer.constructor !== param.constructor) {
      const held = describe(buffer), wanted = describe(param);
      throw new RangeError(
        `${this.#label}: state "${name}" holds ${held}, the parameter ${wanted}`,
      );
    }
    return buffer;
  }

  save(scalars: Record<string, number>): OptimizerState {
    const tensors = Object.fromEntries([...this.#tensors].map(([name, t]) => [name, t.slice()]));
    return { kind: this.#kind, step: this.step, scalars, tensors };
  }

  /** Takes `state` after checking it fits; returns its learning rate. */
  load(state: OptimizerState, own: Record<string, number>): number {
    const label = this.#label;
    if (state.kind !== this.#kind) {
      throw new RangeError(`${label}: cannot load the state of "${state.kind}"`);
    }
    if (!(Number.isInteger(state.step) && state.step >= 0)) {
      throw new RangeError(`${label}: state step must be an integer >= 0, got ${state.step}`);
    }
    for (const [name, value] of Object.entries(own)) {
      // Other settings would continue differently from the run that saved the state.
      if (name !== "learningRate" && state.scalars[name] !== value) {
        throw new RangeError(
          `${label}: state has ${name} ${state.scalars[name]}, this has ${value}`,
        );
      }
    }
    // A schedule may have brought the rate down to 0 by the time the state was taken.
    const learningRate = state.scalars.learningRate;
    check(
      label,
      "learningRate",
      learningRate,
      learningRate >= 0 && learningRate < Infinity,
      ">= 0",
    );
    this.step = state.step;
    this.#tensors = new Map(Object.entries(state.tensors).map(([name, t]) => [name, t.slice()]));
    return learningRate;
  }
}

function describe(a: FloatArray): string {
  return `${a.length} × ${a instanceof Float64Array ? "float64" : "float32"}`;
}

function checkLearningRate(label: string, learningRate: number): void {
  check(label, "learningRate", learningRate, learningRate > 0 && learningRate < Infinity, "> 0");
}

function check(label: string, name: string, value: number, ok: boolean, rule: string): void {
  if (!ok) throw new RangeError(`${label}: ${name} must be ${rule}, got ${value}`);
}

/**
 * Plain settings any registered optimizer is built from (a command line's flags);
 * each optimizer takes the ones its entry lists.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeOptimizer, type OptimizerSettings } from "@fullmatrix/backprop";
 * const settings: OptimizerSettings = { learningRate: 0.1, momentum: 0.9 };
 * assert.equal(makeOptimizer("sgd", settings).state().scalars.momentum, 0.9);
 * ```
 */
export interface OptimizerSettings {
  /** The step size η (required by SGD; Adam's default is 0.001). */
  learningRate?: number;
  /** SGD's momentum μ. */
  momentum?: number;
  /** SGD's Nesterov momentum. */
  nesterov?: boolean;
  /** The weight decay λ (L2 for SGD and Adam). */
  weightDecay?: number;
  /** Adam's β1. */
  beta1?: number;
  /** Adam's β2. */
  beta2?: number;
  /** Adam's ε. */
  epsilon?: number;
}

/**
 * A registry entry: the settings an optimizer takes and how to build it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizers } from "@fullmatrix/backprop";
 * assert.ok(optimizers.adam.settings.includes("beta2"));
 * ```
 */
export interface OptimizerEntry {
  /** The learning rate a command line uses when none is given (Keras' and PyTorch's). */
  defaultLearningRate: number;
  /** The settings it takes; {@linkcode makeOptimizer} refuses any other. */
  settings: readonly (keyof OptimizerSettings)[];
  /** Builds it (the constructor validates the values). */
  create(settings: OptimizerSettings): Optimizer;
}

/**
 * The optimizers by name; the name is also the `kind` of its saved state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizers } from "@fullmatrix/backprop";
 * const sgd = optimizers.sgd.create({ learningRate: 0.5 });
 * assert.equal(sgd.state().kind, "sgd");
 * ```
 */
export const optimizers = {
  sgd: {
    defaultLearningRate: 0.01, // Keras' default; PyTorch has none
    settings: ["learningRate", "momentum", "nesterov", "weightDecay"],
    create: (o: OptimizerSettings): Optimizer =>
      new SGD({ ...o, learningRate: o.learningRate ?? NaN }),
  },
  adam: {
    defaultLearningRate: 0.001,
    settings: ["learningRate", "beta1", "beta2", "epsilon", "weightDecay"],
    create: (o: OptimizerSettings): Optimizer => new Adam(o),
  },
  adamw: {
    defaultLearningRate: 0.001,
    settings: ["learningRate", "beta1", "beta2", "epsilon", "weightDecay"],
    create: (o: OptimizerSettings): Optimizer => new AdamW(o),
  },
} as const satisfies Record<string, OptimizerEntry>;

/**
 * The names of the optimizers, derived from {@linkcode optimizers}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type OptimizerName, optimizerNames } from "@fullmatrix/backprop";
 * const name: OptimizerName = "adam";
 * assert.ok(optimizerNames.includes(name));
 * ```
 */
export type OptimizerName = keyof typeof optimizers;

/**
 * Every optimizer name, in registry order (for a command line's choices and help).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optimizerNames } from "@fullmatrix/backprop";
 * assert.ok(optimizerNames.includes("sgd"));
 * ```
 */
export const optimizerNames: readonly OptimizerName[] = Object.keys(optimizers) as OptimizerName[];

/**
 * The optimizer `name` from plain settings. An unknown name, or a setting the
 * optimizer does not take (given, not `undefined`), is a `RangeError` naming it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeOptimizer } from "@fullmatrix/backprop";
 * assert.equal(makeOptimizer("adam", { learningRate: 3e-4 }).learningRate, 3e-4);
 * assert.throws(() => makeOptimizer("adam", { momentum: 0.9 }), /adam does not take momentum/);
 * assert.throws(() => makeOptimizer("constructor" as "sgd", {}), /unknown optimizer/);
 * ```
 */
export function makeOptimizer(name: OptimizerName, settings: OptimizerSettings): Optimizer {
  if (typeof name !== "string" || !Object.hasOwn(optimizers, name)) {
    throw new RangeError(
      `unknown optimizer ${JSON.stringify(name)}; expected one of ${optimizerNames.join(", ")}`,
    );
  }
  const entry: OptimizerEntry = optimizers[name];
  for (const [key, value] of Object.entries(settings)) {
    if (value !== undefined && !entry.settings.includes(key as keyof OptimizerSettings)) {
      throw new RangeError(
        `${name} does not take ${key}; it takes ${entry.settings.join(", ")}`,
      );
    }
  }
  return entry.create(settings);
}
