/**
 * Activation functions σ, how the error passes back through them, and the one
 * registry that names them.
 *
 * Each activation maps `Z` to `A = σ(Z)` and, going back, turns `∂C/∂A` into
 * `δ = ∂C/∂Z`. For the elementwise ones that is `∂C/∂A ⊙ σ'(Z)`, the `⊙ σ'`
 * of the four equations. Their derivatives are written in terms of `A` where
 * that is cheaper (sigmoid' = A(1−A), tanh' = 1−A²). Softmax mixes the rows of
 * a column, so its backward pass is the Jacobian–vector product per column.
 *
 * Everything else derives from {@linkcode activations}, the registry: the
 * {@linkcode ActivationName} type, the name lists a command line offers, the
 * initialiser a layer gets and the checks of a spec. Adding an activation is one
 * entry there and nothing else.
 *
 * An activation with parameters has two spellings, one for code and one for a
 * command line; both mean the same and {@linkcode activationText} turns either
 * into the text, which is what a model file stores:
 *
 *     { name: "leaky-relu", slope: 0.1 }     "leaky-relu:0.1"
 *
 * The text form lists the values in the order of the entry's `params`; values
 * left out take their defaults (`"leaky-relu"` is the default slope).
 *
 * @module
 */

import { wasmKernelsOf } from "./kernels/backend.ts";
import type { WasmKernels } from "./kernels/wasm/kernels.ts";
import type { Matrix } from "./matrix.ts";

/**
 * An activation: the forward map and the backward product.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activation, fromRows, zeros } from "@fullmatrix/backprop";
 * const a = activation("relu").forward(fromRows([[-1, 2]]), zeros(1, 2));
 * assert.deepEqual([...a.data], [0, 2]);
 * ```
 */
export interface Activation {
  /** Writes `σ(z)` into `out` and returns it. */
  forward(z: Matrix, out: Matrix): Matrix;
  /** Writes `δ = ∂C/∂Z` into `out`, given `z`, `a = σ(z)` and `gradA = ∂C/∂A`; `out` may be `gradA`. */
  backward(z: Matrix, a: Matrix, gradA: Matrix, out: Matrix): Matrix;
}

/**
 * How a layer's initial weights are drawn: Glorot/Xavier normal (variance
 * `2/(fan_in+fan_out)`) keeps sigmoid- and tanh-like units out of saturation; He
 * normal (variance `2/fan_in`) makes up for ReLU-like units zeroing about half
 * their inputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activations, type Initializer } from "@fullmatrix/backprop";
 * const init: Initializer = activations.relu.init;
 * assert.equal(init, "he");
 * ```
 */
export type Initializer = "he" | "glorot";

/**
 * One numeric parameter of an activation, such as leaky ReLU's slope.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ActivationParam } from "@fullmatrix/backprop";
 * const slope: ActivationParam = { name: "slope", default: 0.01, min: 0, max: 1 };
 * assert.ok(slope.default >= slope.min && slope.default <= slope.max);
 * ```
 */
export interface ActivationParam {
  /** Its key in the object spec. */
  name: string;
  /** The value when a spec leaves it out. */
  default: number;
  /** The least value allowed (inclusive). */
  min: number;
  /** The largest value allowed (inclusive). */
  max: number;
}

/**
 * A registry entry: what a layer with this activation needs to know.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activations } from "@fullmatrix/backprop";
 * const entry = activations.softmax;
 * assert.ok(entry.outputOnly && entry.minUnits === 2);
 * ```
 */
export interface ActivationEntry {
  /** The initialiser of the weights feeding a layer with this activation. */
  init: Initializer;
  /** Parameters, in the order of the text form; none when absent. */
  params?: readonly ActivationParam[];
  /** It mixes the units of a column, so only an output layer may use it. */
  outputOnly?: boolean;
  /** The fewest units a layer needs for it to mean anything; default 1. */
  minUnits?: number;
  /** The activation for checked parameter values (by name; defaults filled in). */
  create(params: Readonly<Record<string, number>>): Activation;
}

function elementwise(f: (z: number) => number, df: (z: number, a: number) => number): Activation {
  return {
    forward(z, out) {
      const x = z.data, y = out.data;
      for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
      return out;
    },
    backward(z, a, gradA, out) {
      const x = z.data, y = a.data, g = gradA.data, o = out.data;
      for (let i = 0; i < x.length; i++) o[i] = g[i] * df(x[i], y[i]);
      return out;
    },
  };
}

/**
 * `loops`, except where every operand lives in one wasm memory and the kernel takes the
 * element type (it returns false where it does not): there the wasm kernels run, one SIMD
 * pass next to the data (ReLU forward and back on B's hidden layers measured 4× faster than
 * the loops). Without a `backward` kernel the backward pass is always the loops'.
 */
function onWasm(
  loops: Activation,
  forward: (wasm: WasmKernels, z: Matrix, out: Matrix) => boolean,
  backward?: (wasm: WasmKernels, z: Matrix, a: Matrix, gradA: Matrix, out: Matrix) => boolean,
): Activation {
  return {
    forward(z, out) {
      const wasm = wasmKernelsOf(z.data, out.data);
      return wasm && forward(wasm, z, out) ? out : loops.forward(z, out);
    },
    backward: backward
      ? (z, a, gradA, out) => {
        const wasm = wasmKernelsOf(z.data, a.data, gradA.data, out.data);
        return wasm && backward(wasm, z, a, gradA, out) ? out : loops.backward(z, a, gradA, out);
      }
      : loops.backward,
  };
}

/** Subtracting the column's maximum keeps `exp` from overflowing; the result is unchanged. */
function softmaxForward(z: Matrix, out: Matrix): Matrix {
  const { rows, cols } = z, x = z.data, y = out.data;
  for (let j = 0; j < cols; j++) {
    let max = -Infinity;
    for (let i = 0; i < rows; i++) max = Math.max(max, x[i * cols + j]);
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += y[i * cols + j] = Math.exp(x[i * cols + j] - max);
    for (let i = 0; i < rows; i++) y[i * cols + j] = flushSubnormal(y[i * cols + j] / sum);
  }
  return out;
}

/**
 * In float32 on wasm storage the forward pass runs in wasm (`exp` and all, four columns at a
 * time); its backward pass is the per-column Jacobian product, which cross-entropy's shortcut
 * skips.
 */
const softmax: Activation = onWasm(
  { forward: softmaxForward, backward: softmaxBackward },
  (wasm, z, out) => wasm.softmax(z.rows, z.cols, z.data, out.data),
);

/** The smallest normal float32. */
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * Probabilities below float32's normal range are stored as 0: they change no
 * result worth having, and subnormal operands can make x86 multiplies many
 * times slower (a microcode assist per operation) in the products that follow.
 */
function flushSubnormal(v: number): number {
  return v < FLOAT32_MIN_NORMAL ? 0 : v;
}

/** Per column: `δ_i = a_i (g_i − Σ_k g_k a_k)`, the softmax Jacobian times `g`. */
function softmaxBackward(_z: Matrix, a: Matrix, gradA: Matrix, out: Matrix): Matrix {
  const { rows, cols } = a, y = a.data, g = gradA.data, o = out.data;
  for (let j = 0; j < cols; j++) {
    let dot = 0;
    for (let i = 0; i < rows; i++) dot += g[i * cols + j] * y[i * cols + j];
    for (let i = 0; i < rows; i++) o[i * cols + j] = y[i * cols + j] * (g[i * cols + j] - dot);
  }
  return out;
}

/** In float32 on wasm storage, σ and σ' run in wasm, `exp` and all (`kernels/wasm/exp.ts`). */
const sigmoid: Activation = onWasm(
  elementwise((z) => flushSubnormal(1 / (1 + Math.exp(-z))), (_z, a) => a * (1 - a)),
  (wasm, z, out) => wasm.sigmoid(z.data, out.data),
  (wasm, _z, a, gradA, out) => wasm.sigmoidBackward(a.data, gradA.data, out.data),
);
const tanh: Activation = elementwise(Math.tanh, (_z, a) => 1 - a * a);
const relu: Activation = onWasm(
  elementwise((z) => (z > 0 ? z : 0), (z) => (z > 0 ? 1 : 0)),
  (wasm, z, out) => (wasm.relu(z.data, out.data), true),
  (wasm, z, _a, gradA, out) => (wasm.reluBackward(z.data, gradA.data, out.data), true),
);
const identity: Activation = elementwise((z) => z, () => 1);

/** `√(2/π)`, the scale inside GELU's tanh. */
const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * GELU, `z · Φ(z)`, in the tanh form of Hendrycks and Gimpel that GPT-2 and BERT use
 * (PyTorch's `gelu(approximate="tanh")`): `½ z (1 + tanh(c (z + 0.044715 z³)))`,
 * `c = √(2/π)`. It is within 4.8e-4 of the erf form everywhere, needs no `erf`
 * (JavaScript has none), and its derivative is exact in closed form:
 * `½ (1 + t) + ½ z (1 − t²) c (1 + 3 · 0.044715 z²)`.
 */
const gelu: Activation = elementwise(
  (z) => 0.5 * z * (1 + Math.tanh(GELU_C * (z + 0.044715 * z * z * z))),
  (z) => {
    const t = Math.tanh(GELU_C * (z + 0.044715 * z * z * z));
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * z * z);
  },
);

/**
 * The activations by name: the registry every other list, type and check derives from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activations, fromRows, zeros } from "@fullmatrix/backprop";
 * const a = activations.sigmoid.create().forward(fromRows([[0]]), zeros(1, 1));
 * assert.equal(a.data[0], 0.5);
 * assert.equal(activations.tanh.init, "glorot");
 * ```
 */
export const activations = {
  sigmoid: { init: "glorot", create: (): Activation => sigmoid },
  tanh: { init: "glorot", create: (): Activation => tanh },
  relu: { init: "he", create: (): Activation => relu },
  identity: { init: "glorot", create: (): Activation => identity },
  gelu: { init: "he", create: (): Activation => gelu },
  /** `z` for `z > 0`, else `slope · z` (PyTorch's default slope 0.01); a small slope keeps units from dying. */
  "leaky-relu": {
    init: "he",
    params: [{ name: "slope", default: 0.01, min: 0, max: 1 }],
    create: ({ slope }: Readonly<Record<string, number>>): Activation =>
      elementwise((z) => (z > 0 ? z : slope * z), (z) => (z > 0 ? 1 : slope)),
  },
  softmax: {
    init: "glorot",
    outputOnly: true,
    minUnits: 2, // one unit is always 1: nothing to learn
    create: (): Activation => softmax,
  },
} as const satisfies Record<string, ActivationEntry>;

/**
 * The names of the activations, derived from {@linkcode activations}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ActivationName, activationNames } from "@fullmatrix/backprop";
 * const hidden: ActivationName = "relu";
 * assert.ok(activationNames.includes(hidden));
 * ```
 */
export type ActivationName = keyof typeof activations;

/**
 * Every activation name, in registry order (for a command line's choices and help).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activationNames } from "@fullmatrix/backprop";
 * assert.ok(activationNames.includes("softmax"));
 * ```
 */
export const activationNames: readonly ActivationName[] = Object.keys(
  activations,
) as ActivationName[];

/**
 * The activations a hidden layer may use (all but the output-only ones).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hiddenActivationNames } from "@fullmatrix/backprop";
 * assert.ok(hiddenActivationNames.includes("relu") && !hiddenActivationNames.includes("softmax"));
 * ```
 */
export const hiddenActivationNames: readonly ActivationName[] = activationNames.filter(
  (name) => !entry(name).outputOnly,
);

/**
 * An activation with its parameters: a name, a text `"name:value…"`, or an object
 * `{ name, …params }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ActivationSpec, activationText } from "@fullmatrix/backprop";
 * const specs: ActivationSpec[] = ["relu", "sigmoid", { name: "tanh" }];
 * assert.deepEqual(specs.map(activationText), ["relu", "sigmoid", "tanh"]);
 * ```
 */
export type ActivationSpec =
  | ActivationName
  | `${ActivationName}:${string}`
  | { readonly name: ActivationName; readonly [param: string]: number | string };

/**
 * A spec resolved against the registry: its name, every parameter, its canonical
 * text and the activation itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveActivation } from "@fullmatrix/backprop";
 * const { name, init, text } = resolveActivation("relu");
 * assert.deepEqual([name, init, text], ["relu", "he", "relu"]);
 * ```
 */
export interface ResolvedActivation {
  /** The registry name. */
  name: ActivationName;
  /** Every parameter by name, defaults filled in. */
  params: Readonly<Record<string, number>>;
  /** The canonical text form (`"name"` or `"name:v1:v2"`), what a model file stores. */
  text: string;
  /** The initialiser of the layer's weights. */
  init: Initializer;
  /** Whether only an output layer may use it. */
  outputOnly: boolean;
  /** The fewest units a layer with it needs. */
  minUnits: number;
  /** The forward and backward maps. */
  activation: Activation;
}

function entry(name: ActivationName): ActivationEntry {
  return activations[name];
}

function isName(name: unknown): name is ActivationName {
  // Own keys only: `"constructor" in activations` is true.
  return typeof name === "string" && Object.hasOwn(activations, name);
}

function unknownName(name: unknown): RangeError {
  return new RangeError(
    `unknown activation ${JSON.stringify(name)}; expected one of ${activationNames.join(", ")}`,
  );
}

/**
 * Checks a spec against the registry and resolves it (a `RangeError`/`TypeError`
 * naming the problem otherwise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveActivation } from "@fullmatrix/backprop";
 * assert.throws(() => resolveActivation("constructor" as "relu"), RangeError);
 * assert.equal(resolveActivation({ name: "sigmoid" }).text, "sigmoid");
 * ```
 */
export function resolveActivation(spec: ActivationSpec): ResolvedActivation {
  let name: unknown, given: Record<string, number>;
  if (typeof spec === "string") {
    const [head, ...fields] = spec.split(":");
    name = head;
    if (!isName(name)) throw unknownName(name);
    const params = entry(name).params ?? [];
    if (fields.length > params.length) {
      throw new RangeError(
        `activation "${spec}": ${name} takes ${params.length} parameter(s) (${
          params.map((p) => p.name).join(", ") || "none"
        }), got ${fields.length}`,
      );
    }
    given = Object.fromEntries(fields.map((f, i) => [params[i].name, strictNumber(f, spec)]));
  } else if (typeof spec === "object" && spec !== null) {
    ({ name, ...given } = spec as { name: unknown });
    if (!isName(name)) throw unknownName(name);
    const known = new Set((entry(name).params ?? []).map((p) => p.name));
    for (const key of Object.keys(given)) {
      if (!known.has(key)) throw new RangeError(`activation ${name} has no parameter "${key}"`);
    }
  } else {
    throw new TypeError(`an activation must be a name or { name, ... }, got ${String(spec)}`);
  }
  const e = entry(name), params: Record<string, number> = {};
  for (const p of e.params ?? []) {
    const value = given[p.name] ?? p.default;
    if (typeof value !== "number" || !(value >= p.min && value <= p.max)) {
      throw new RangeError(
        `activation ${name}: ${p.name} must be a number in [${p.min}, ${p.max}], got ${value}`,
      );
    }
    params[p.name] = value;
  }
  const values = Object.values(params);
  return {
    name,
    params,
    text: values.length > 0 ? `${name}:${values.join(":")}` : name,
    init: e.init,
    outputOnly: e.outputOnly ?? false,
    minUnits: e.minUnits ?? 1,
    activation: e.create(params),
  };
}

/**
 * The canonical text of a spec, e.g. `"sigmoid"`; it is what model files store and
 * what {@linkcode resolveActivation} reads back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activationText } from "@fullmatrix/backprop";
 * assert.equal(activationText({ name: "identity" }), "identity");
 * ```
 */
export function activationText(spec: ActivationSpec): string {
  return resolveActivation(spec).text;
}

/**
 * The activation of a spec, ready to run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activation, fromRows, zeros } from "@fullmatrix/backprop";
 * assert.equal(activation("tanh").forward(fromRows([[0]]), zeros(1, 1)).data[0], 0);
 * ```
 */
export function activation(spec: ActivationSpec): Activation {
  return resolveActivation(spec).activation;
}

/** `Number(text)`, refusing what is not entirely a number (`Number("")` is 0). */
function strictNumber(text: string, spec: string): number {
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value)) {
    throw new RangeError(`activation "${spec}": "${text}" is not a number`);
  }
  return value;
}
