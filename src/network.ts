/**
 * A fully-connected network: the forward pass and the four equations of
 * full-matrix back-propagation, nothing else.
 *
 * A whole mini-batch travels as one matrix with the samples as columns, so a
 * layer is one product for all `M` samples:
 *
 *     Z^l = W^l A^(l-1) + b̂^l        A^l = σ^l(Z^l)
 *
 * and the gradients come from four equations (see {@linkcode Network.gradients}).
 *
 * @module
 */

import {
  type ActivationSpec,
  type Initializer,
  resolveActivation,
  type ResolvedActivation,
} from "./activations.ts";
import { lossFor, type LossName } from "./losses.ts";
import {
  addColumn,
  cloneAll,
  type DType,
  type FloatArray,
  matmul,
  matmulNT,
  matmulTN,
  type Matrix,
  rowSums,
} from "./matrix.ts";
import { type BackendName, type Storage, storageFor } from "./kernels/backend.ts";
import { Random } from "./random.ts";
import type { Batch } from "./streams/batches.ts";

/**
 * One layer's parameters: `W` is `Nl × N(l-1)`, `b` is `Nl × 1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network } from "@fullmatrix/backprop";
 * const { W, b } = new Network({ sizes: [3, 2], activations: "sigmoid" }).layers[0];
 * assert.ok(W.rows === 2 && W.cols === 3 && b.rows === 2 && b.cols === 1);
 * ```
 */
export interface Layer {
  /** Weights, `Nl × N(l-1)`. */
  W: Matrix;
  /** Biases, `Nl × 1`. */
  b: Matrix;
}

/**
 * The gradient of the loss for one layer, shaped like the layer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, Network } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [1, 1], activations: "identity", dtype: "float64" });
 * const { grads } = net.gradients(fromRows([[1]], "float64"), fromRows([[0]], "float64"), "quadratic");
 * assert.ok(grads[0].dW.rows === 1 && grads[0].db.cols === 1);
 * ```
 */
export interface LayerGradient {
  /** `∂C/∂W^l`, shaped like `W^l`. */
  dW: Matrix;
  /** `∂C/∂b^l`, shaped like `b^l`. */
  db: Matrix;
}

/**
 * The batch loss and the gradient of every layer, first layer first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, type Gradients, Network } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [2, 3, 1], activations: ["tanh", "identity"] });
 * const g: Gradients = net.gradients(fromRows([[1], [0]]), fromRows([[1]]), "quadratic");
 * assert.equal(g.grads.length, 2);
 * assert.ok(g.loss >= 0 && g.output!.rows === 1);
 * ```
 */
export interface Gradients {
  /** The loss `C` of the batch. */
  loss: number;
  /** One gradient per layer. */
  grads: LayerGradient[];
  /** The batch's output `A^L`, where the method has it at hand (a buffer reused by the next call). */
  output?: Matrix;
}

/**
 * How to build a {@linkcode Network}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network, type NetworkOptions } from "@fullmatrix/backprop";
 * const opts: NetworkOptions = { sizes: [64, 32, 10], activations: ["relu", "softmax"], seed: 1 };
 * const net = new Network(opts);
 * assert.deepEqual(net.activations, ["relu", "softmax"]);
 * assert.equal(net.layers[1].W.rows, 10);
 * ```
 */
export interface NetworkOptions {
  /** Layer sizes, input first: `[N0, N1, …, NL]`. */
  sizes: readonly number[];
  /**
   * One activation for every layer, or one per layer (`L` of them): names such as
   * `"relu"`, or specs with parameters (see {@linkcode ActivationSpec}).
   */
  activations: ActivationSpec | readonly ActivationSpec[];
  /** Seed of the initial weights; the same seed gives the same network. Default 0. */
  seed?: number;
  /** Element type; default `"float32"`. */
  dtype?: DType;
  /**
   * Kernels: `"auto"` (default) takes the system BLAS where FFI is granted and
   * one loads, else WebAssembly SIMD where the engine has it, else TypeScript.
   */
  backend?: BackendName;
  /** The CBLAS library file for the `blas` and `auto` backends (default: see `src/kernels/blas.ts`). */
  blas?: string;
  /**
   * Threads for the matrix products (wasm backends): default 1. With more, worker threads
   * share each large product, and {@linkcode Network.close} must be called when done
   * (an open worker keeps the process alive).
   */
  threads?: number;
}

/** A batch's forward pass, as the backward pass takes it: `X` first in `a`, as rows or columns. */
interface Pass {
  z: Matrix[];
  a: Matrix[];
  delta: Matrix[];
  inputsAsRows: boolean;
}

/**
 * Buffers of the forward/backward pass, allocated once for up to `capacity`
 * columns; a batch of `M ≤ capacity` columns uses their first `rows × M` elements.
 */
interface Workspace {
  capacity: number;
  x: FloatArray;
  z: FloatArray[];
  a: FloatArray[];
  delta: FloatArray[];
}

/**
 * A fully-connected network trained by full-matrix back-propagation.
 *
 * @example Forward a batch of two samples (the columns of `x`)
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromRows, Network } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [2, 3, 1], activations: "sigmoid", seed: 7 });
 * const a = net.forward(fromRows([[0, 1], [1, 0]]));
 * assert.ok(a.rows === 1 && a.cols === 2);
 * ```
 */
export class Network {
  /** Layer sizes, input first. */
  readonly sizes: readonly number[];
  /** The activation of each layer `1..L`, as canonical text (`"relu"`, `"leaky-relu:0.1"`). */
  readonly activations: readonly ActivationSpec[];
  /** Element type of every matrix. */
  readonly dtype: DType;
  /** The parameters, layer `1` first. Their `data` may be written (that is how optimizers work). */
  readonly layers: Layer[];
  /** Which kernels compute, e.g. `wasm-relaxed-simd` or `blas (OpenBLAS …) + wasm-relaxed-simd element-wise`. */
  readonly kernels: string;
  #storage: Storage;
  #resolved: readonly ResolvedActivation[];
  #workspace: Workspace | undefined;
  #scratchGrads: LayerGradient[] | undefined;

  /**
   * Builds a network with the initial weights its activations ask for (He for ReLU-like,
   * Glorot otherwise) from a seeded generator, zero biases. Bad options throw a
   * `RangeError`/`TypeError` naming the option.
   */
  constructor(options: NetworkOptions) {
    const { sizes, seed = 0, dtype = "float32", threads = 1 } = options;
    checkOptions(sizes, dtype, seed, threads);
    this.#resolved = resolveLayers(sizes, options.activations);
    this.sizes = [...sizes];
    this.activations = this.#resolved.map((r) => r.text as ActivationSpec);
    this.dtype = dtype;
    this.#storage = storageFor(options.backend ?? "auto", threads, options.blas);
    this.kernels = this.#storage.kernels;
    const random = new Random(seed);
    this.layers = this.#resolved.map((r, l) => {
      const layer = { W: this.#matrix(sizes[l + 1], sizes[l]), b: this.#matrix(sizes[l + 1], 1) };
      initWeights(layer.W, r.init, random);
      return layer;
    });
  }

  /** Stops the network's worker threads (a no-op without them); it keeps working on one thread. */
  close(): void {
    this.#storage.close();
  }

  /** Closes the network at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Gradient buffers shaped like the layers, in the network's own storage: pass them to `gradients` as `into`. */
  allocGradients(): LayerGradient[] {
    return this.layers.map(({ W, b }) => ({
      dW: this.#matrix(W.rows, W.cols),
      db: this.#matrix(b.rows, 1),
    }));
  }

  /** The output `A^L` (`NL × M`) for inputs `x` (`N0 × M`). */
  forward(x: Matrix): Matrix {
    const { a } = this.#forwardPass(...this.#columns(x), false);
    return { ...a[a.length - 1], data: a[a.length - 1].data.slice() };
  }

  /**
   * The batch loss and its gradients by the four equations of full-matrix backprop:
   *
   *     δ^L = ∂C/∂A^L ⊙ σ'^L(Z^L)                   (1) output error
   *     δ^l = (W^(l+1))ᵀ δ^(l+1) ⊙ σ'^l(Z^l)        (2) error flows back
   *     ∂C/∂W^l = δ^l (A^(l-1))ᵀ                    (3) sums over the M columns
   *     ∂C/∂b^l = δ^l · ones(M, 1)                  (4) sums over the M columns
   *
   * With `into` (from {@linkcode Network.allocGradients}) the gradients are
   * written there, with no allocation per batch; without it they are new copies.
   */
  gradients(x: Matrix, y: Matrix, loss: LossName, into?: LayerGradient[]): Gradients {
    return this.#backward(this.#forwardPass(...this.#columns(x), false), y, loss, into);
  }

  /**
   * {@linkcode Network.gradients} of a batch. A batch that writes its own inputs
   * (`batch.inputs`, as those of {@linkcode SampleCache.batches} do) writes them straight into
   * the network's storage, with no `x` made and copied, and on `blas` with the samples as rows,
   * which its products read faster (A's first layer: 66–73 ms an epoch against 105–116): the
   * first layer's products are then `W·Xᵀ` and `δ·X`, the same sums in the BLAS's own order.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Network, SampleCache } from "@fullmatrix/backprop";
   * const cache = new SampleCache();
   * for (const v of [0, 1, 2]) cache.add({ x: new Float32Array([v, 1]), y: new Float32Array([v]) });
   * const [batch] = await Array.fromAsync(cache.batches(3));
   * const net = new Network({ sizes: [2, 1], activations: "identity", seed: 1 });
   * const viaBatch = net.batchGradients(batch, "quadratic").loss;
   * assert.ok(Math.abs(viaBatch - net.gradients(batch.x, batch.y, "quadratic").loss) < 1e-6);
   * ```
   */
  batchGradients(batch: Batch, loss: LossName, into?: LayerGradient[]): Gradients {
    const { inputs, y } = batch;
    if (!inputs) return this.gradients(batch.x, y, loss, into);
    this.#checkWidth(inputs.features);
    const rows = this.#storage.inputsAsRows;
    const write = (data: FloatArray) => inputs.write(data, rows ? "rows" : "columns");
    return this.#backward(this.#forwardPass(y.cols, write, rows), y, loss, into);
  }

  /** The four equations from a forward pass's `Z`, `A` and `δ` buffers. */
  #backward(pass: Pass, y: Matrix, loss: LossName, into?: LayerGradient[]): Gradients {
    const { z, a, delta } = pass;
    const L = this.layers.length;
    const grads = into ?? (this.#scratchGrads ??= this.allocGradients());
    const value = this.#outputError(z[L - 1], a[L], y, loss, delta[L - 1]); // (1)
    for (let l = L - 1; l >= 0; l--) {
      if (l === 0 && pass.inputsAsRows) matmul(delta[0], a[0], grads[0].dW); // (3), X as rows
      else matmulNT(delta[l], a[l], grads[l].dW); // (3)
      rowSums(delta[l], grads[l].db); // (4)
      if (l > 0) {
        const back = matmulTN(this.layers[l].W, delta[l], delta[l - 1]);
        this.#resolved[l - 1].activation.backward(z[l - 1], a[l], back, delta[l - 1]); // (2)
      }
    }
    if (into) return { loss: value, grads, output: a[L] };
    return { loss: value, grads: cloneAll(grads), output: a[L] };
  }

  /** δ^L into `out` by the loss's pairing with the output activation (see losses.ts), and the loss. */
  #outputError(zL: Matrix, aL: Matrix, y: Matrix, loss: LossName, out: Matrix): number {
    checkTarget(aL, y);
    const output = this.#resolved[this.#resolved.length - 1];
    const pair = lossFor(loss, output.name);
    pair.delta(zL, aL, y, out, output.activation);
    return pair.value(aL, y);
  }

  /** `x`'s column count and how to copy it, once its shape and data are checked. */
  #columns(x: Matrix): [number, (data: FloatArray) => void] {
    this.#checkWidth(x.rows);
    checkData("input", x);
    return [x.cols, (data) => data.set(x.data)];
  }

  #checkWidth(rows: number): void {
    if (rows !== this.sizes[0]) {
      throw new RangeError(`Network: input has ${rows} rows, expected ${this.sizes[0]}`);
    }
  }

  /**
   * Runs a batch of `m` forward, keeping every `Z^l` and `A^l` (with `A^0 = X`) for the backward
   * pass; `write` puts the inputs into `X`, as columns or, with `inputsAsRows`, as rows.
   */
  #forwardPass(m: number, write: (data: FloatArray) => void, inputsAsRows: boolean): Pass {
    const ws = this.#workspaceFor(m), n0 = this.sizes[0];
    const view = (data: FloatArray, rows: number): Matrix => ({
      rows,
      cols: m,
      data: data.subarray(0, rows * m),
    });
    // The one copy of a batch: into the network's storage, where its kernels can read it.
    const x = inputsAsRows ? { rows: m, cols: n0, data: ws.x.subarray(0, n0 * m) } : view(ws.x, n0);
    write(x.data);
    const shapes = this.sizes.slice(1);
    const z = shapes.map((n, l) => view(ws.z[l], n));
    const a = shapes.map((n, l) => view(ws.a[l], n));
    this.layers.forEach(({ W, b }, l) => {
      const product = l === 0 && inputsAsRows
        ? matmulNT(W, x, z[0])
        : matmul(W, l === 0 ? x : a[l - 1], z[l]);
      addColumn(product, b);
      this.#resolved[l].activation.forward(z[l], a[l]);
    });
    return { z, a: [x, ...a], delta: shapes.map((n, l) => view(ws.delta[l], n)), inputsAsRows };
  }

  /** The workspace, grown (doubling) when a batch is wider than any before. */
  #workspaceFor(m: number): Workspace {
    if (this.#workspace && m <= this.#workspace.capacity) return this.#workspace;
    const capacity = Math.max(m, 2 * (this.#workspace?.capacity ?? 0));
    const buffers = () => this.sizes.slice(1).map((n) => this.#alloc(n * capacity));
    this.#workspace = {
      capacity,
      x: this.#alloc(this.sizes[0] * capacity),
      z: buffers(),
      a: buffers(),
      delta: buffers(),
    };
    return this.#workspace;
  }

  #matrix(rows: number, cols: number): Matrix {
    return { rows, cols, data: this.#alloc(rows * cols) };
  }

  /** Storage for `length` elements; a failed allocation says what it was for. */
  #alloc(length: number): FloatArray {
    try {
      return this.#storage.alloc(length, this.dtype);
    } catch (e) {
      throw new RangeError(
        `Network: the network is too large: no room for ${length} more ${this.dtype} values (layers ${
          this.sizes.join("-")
        })`,
        { cause: e },
      );
    }
  }
}

/** Each option of a {@linkcode Network}, or a `RangeError` naming the first one wrong. */
function checkOptions(sizes: readonly number[], dtype: DType, seed: number, threads: number): void {
  if (
    !Array.isArray(sizes) || sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)
  ) {
    throw new RangeError(
      `Network: sizes must be at least two positive integers, got ${JSON.stringify(sizes)}`,
    );
  }
  if (dtype !== "float32" && dtype !== "float64") {
    throw new RangeError(
      `Network: dtype must be "float32" or "float64", got ${JSON.stringify(dtype)}`,
    );
  }
  if (!Number.isInteger(seed)) {
    throw new RangeError(`Network: seed must be an integer, got ${seed}`);
  }
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new RangeError(
      `Network: threads must be an integer in [1, ${MAX_THREADS}], got ${threads}`,
    );
  }
  checkSize(sizes, dtype);
}

/** One resolved activation per layer, checked for where it may go and how many units it needs. */
function resolveLayers(
  sizes: readonly number[],
  activations: NetworkOptions["activations"],
): ResolvedActivation[] {
  const L = sizes.length - 1;
  const specs = Array.isArray(activations)
    ? [...activations]
    : Array<ActivationSpec>(L).fill(activations as ActivationSpec);
  if (specs.length !== L) {
    throw new RangeError(`Network: ${L} layers need ${L} activations, got ${specs.length}`);
  }
  return specs.map((spec, l) => {
    const r = resolveActivation(spec);
    if (r.outputOnly && l !== L - 1) {
      throw new RangeError(`Network: ${r.name} is for the output layer only`);
    }
    if (sizes[l + 1] < r.minUnits) {
      throw new RangeError(
        `Network: ${r.name} needs at least ${r.minUnits} units, layer ${l + 1} has ${sizes[l + 1]}`,
      );
    }
    return r;
  });
}

/** More threads than this is a mistake (and would start that many workers). */
const MAX_THREADS = 256;

/** Parameters above this many bytes cannot be stored: a wasm memory holds 4 GiB, parameters and gradients. */
const MAX_PARAMETER_BYTES = 2 ** 31;

/** A `RangeError` before any allocation when the parameters alone could not be stored. */
function checkSize(sizes: readonly number[], dtype: DType): void {
  let count = 0;
  for (let l = 1; l < sizes.length; l++) count += sizes[l] * (sizes[l - 1] + 1);
  const bytes = count * (dtype === "float64" ? 8 : 4);
  if (bytes > MAX_PARAMETER_BYTES) {
    throw new RangeError(
      `Network: the network is too large: [${sizes.join(", ")}] has ${count} parameters (${
        (bytes / 2 ** 30).toFixed(1)
      } GiB as ${dtype}); at most ${MAX_PARAMETER_BYTES / 2 ** 30} GiB of parameters fit`,
    );
  }
}

/** `m.data` must hold exactly `rows × cols` values (a longer view would read stale data). */
function checkData(what: string, m: Matrix): void {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 1) {
    throw new RangeError(
      `Network: ${what} must be rows × cols with cols >= 1, got ${m.rows}×${m.cols}`,
    );
  }
  if (!(m.data instanceof Float32Array || m.data instanceof Float64Array)) {
    throw new TypeError(`Network: ${what}.data must be a Float32Array or Float64Array`);
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new RangeError(
      `Network: ${what}.data has ${m.data.length} values, but ${what} is ${m.rows}×${m.cols} = ${
        m.rows * m.cols
      }`,
    );
  }
}

function checkTarget(aL: Matrix, y: Matrix): void {
  if (y.rows !== aL.rows || y.cols !== aL.cols) {
    throw new RangeError(`Network: target is ${y.rows}×${y.cols}, expected ${aL.rows}×${aL.cols}`);
  }
  checkData("target", y);
}

/** Draws `W` from the initialiser's normal distribution (see {@linkcode Initializer}). */
function initWeights(W: Matrix, init: Initializer, random: Random): void {
  const [fanOut, fanIn] = [W.rows, W.cols];
  let variance: number;
  switch (init) {
    case "he":
      variance = 2 / fanIn;
      break;
    case "glorot":
      variance = 2 / (fanIn + fanOut);
      break;
    default: {
      const _: never = init;
      throw new RangeError(`unknown initialiser ${_}`);
    }
  }
  const std = Math.sqrt(variance);
  for (let i = 0; i < W.data.length; i++) W.data[i] = random.normal() * std;
}
