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

import { type ActivationName, activations } from "./activations.ts";
import { losses, type LossName } from "./losses.ts";
import {
  addColumn,
  clone,
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

/**
 * One layer's parameters: `W` is `Nl × N(l-1)`, `b` is `Nl × 1`.
 *
 * @example
 * ```ts
 * import { Network } from "@fullmatrix/backprop";
 * const { W, b } = new Network({ sizes: [3, 2], activations: "sigmoid" }).layers[0];
 * console.assert(W.rows === 2 && W.cols === 3 && b.rows === 2 && b.cols === 1);
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
 * import { fromRows, Network } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [1, 1], activations: "identity", dtype: "float64" });
 * const { grads } = net.gradients(fromRows([[1]], "float64"), fromRows([[0]], "float64"), "quadratic");
 * console.assert(grads[0].dW.rows === 1 && grads[0].db.cols === 1);
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
 * import type { Gradients } from "@fullmatrix/backprop";
 * const show = (g: Gradients) => `${g.loss} over ${g.grads.length} layers`;
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
 * import type { NetworkOptions } from "@fullmatrix/backprop";
 * const opts: NetworkOptions = { sizes: [64, 32, 10], activations: ["relu", "softmax"], seed: 1 };
 * ```
 */
export interface NetworkOptions {
  /** Layer sizes, input first: `[N0, N1, …, NL]`. */
  sizes: readonly number[];
  /** One activation for every layer, or one per layer (`L` names). */
  activations: ActivationName | readonly ActivationName[];
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
 * import { fromRows, Network } from "@fullmatrix/backprop";
 * const net = new Network({ sizes: [2, 3, 1], activations: "sigmoid", seed: 7 });
 * const a = net.forward(fromRows([[0, 1], [1, 0]]));
 * console.assert(a.rows === 1 && a.cols === 2);
 * ```
 */
export class Network {
  /** Layer sizes, input first. */
  readonly sizes: readonly number[];
  /** The activation of each layer `1..L`. */
  readonly activations: readonly ActivationName[];
  /** Element type of every matrix. */
  readonly dtype: DType;
  /** The parameters, layer `1` first. Their `data` may be written (that is how optimizers work). */
  readonly layers: Layer[];
  /** Which kernels compute, e.g. `wasm-relaxed-simd` or `blas (OpenBLAS …) + wasm-relaxed-simd element-wise`. */
  readonly kernels: string;
  #storage: Storage;
  #workspace: Workspace | undefined;
  #scratchGrads: LayerGradient[] | undefined;

  /** Builds a network with Glorot (He for ReLU) initial weights from a seeded generator, zero biases. */
  constructor(options: NetworkOptions) {
    const { sizes, seed = 0, dtype = "float32" } = options;
    if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new RangeError(
        `Network: sizes must be at least two positive integers, got [${sizes.join(", ")}]`,
      );
    }
    const L = sizes.length - 1;
    const names = typeof options.activations === "string"
      ? Array<ActivationName>(L).fill(options.activations)
      : [...options.activations];
    if (names.length !== L) {
      throw new RangeError(`Network: ${L} layers need ${L} activations, got ${names.length}`);
    }
    for (const [l, name] of names.entries()) {
      if (!(name in activations)) throw new RangeError(`Network: unknown activation "${name}"`);
      if (name === "softmax" && l !== L - 1) {
        throw new RangeError("Network: softmax is for the output layer only");
      }
    }
    this.sizes = [...sizes];
    this.activations = names;
    this.dtype = dtype;
    this.#storage = storageFor(options.backend ?? "auto", options.threads ?? 1, options.blas);
    this.kernels = this.#storage.kernels;
    const random = new Random(seed);
    this.layers = names.map((name, l) => {
      const layer = { W: this.#matrix(sizes[l + 1], sizes[l]), b: this.#matrix(sizes[l + 1], 1) };
      initWeights(layer.W, name, random);
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
    const { a } = this.#forwardPass(x);
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
    const { z, a, delta } = this.#forwardPass(x);
    const L = this.layers.length;
    const grads = into ?? (this.#scratchGrads ??= this.allocGradients());
    const value = this.#outputError(z[L - 1], a[L], y, loss, delta[L - 1]); // (1)
    for (let l = L - 1; l >= 0; l--) {
      matmulNT(delta[l], a[l], grads[l].dW); // (3)
      rowSums(delta[l], grads[l].db); // (4)
      if (l > 0) {
        const back = matmulTN(this.layers[l].W, delta[l], delta[l - 1]);
        activations[this.activations[l - 1]].backward(z[l - 1], a[l], back, delta[l - 1]); // (2)
      }
    }
    if (into) return { loss: value, grads, output: a[L] };
    return {
      loss: value,
      grads: grads.map(({ dW, db }) => ({ dW: clone(dW), db: clone(db) })),
      output: a[L],
    };
  }

  /** δ^L into `out`, and the loss. Softmax with cross-entropy simplifies to `(A − Y)/M`, exact and stable. */
  #outputError(zL: Matrix, aL: Matrix, y: Matrix, loss: LossName, out: Matrix): number {
    checkTarget(aL, y);
    const value = losses[loss].value(aL, y);
    if (loss === "cross-entropy" && this.activations[this.activations.length - 1] === "softmax") {
      for (let i = 0; i < out.data.length; i++) out.data[i] = (aL.data[i] - y.data[i]) / aL.cols;
    } else {
      activations[this.activations[this.activations.length - 1]].backward(
        zL,
        aL,
        losses[loss].gradient(aL, y, out),
        out,
      );
    }
    return value;
  }

  /** Runs the batch forward, keeping every `Z^l` and `A^l` (with `A^0 = X`) for the backward pass. */
  #forwardPass(input: Matrix): { z: Matrix[]; a: Matrix[]; delta: Matrix[] } {
    if (input.rows !== this.sizes[0]) {
      throw new RangeError(`Network: input has ${input.rows} rows, expected ${this.sizes[0]}`);
    }
    const m = input.cols, ws = this.#workspaceFor(m);
    const view = (data: FloatArray, rows: number): Matrix => ({
      rows,
      cols: m,
      data: data.subarray(0, rows * m),
    });
    // The one copy of a batch: into the network's storage, where its kernels can read it.
    const x = view(ws.x, input.rows);
    x.data.set(input.data);
    const shapes = this.sizes.slice(1);
    const z = shapes.map((n, l) => view(ws.z[l], n));
    const a = shapes.map((n, l) => view(ws.a[l], n));
    this.layers.forEach(({ W, b }, l) => {
      addColumn(matmul(W, l === 0 ? x : a[l - 1], z[l]), b);
      activations[this.activations[l]].forward(z[l], a[l]);
    });
    return { z, a: [x, ...a], delta: shapes.map((n, l) => view(ws.delta[l], n)) };
  }

  /** The workspace, grown (doubling) when a batch is wider than any before. */
  #workspaceFor(m: number): Workspace {
    if (this.#workspace && m <= this.#workspace.capacity) return this.#workspace;
    const capacity = Math.max(m, 2 * (this.#workspace?.capacity ?? 0));
    const buffers = () =>
      this.sizes.slice(1).map((n) => this.#storage.alloc(n * capacity, this.dtype));
    this.#workspace = {
      capacity,
      x: this.#storage.alloc(this.sizes[0] * capacity, this.dtype),
      z: buffers(),
      a: buffers(),
      delta: buffers(),
    };
    return this.#workspace;
  }

  #matrix(rows: number, cols: number): Matrix {
    return { rows, cols, data: this.#storage.alloc(rows * cols, this.dtype) };
  }
}

function checkTarget(aL: Matrix, y: Matrix): void {
  if (y.rows !== aL.rows || y.cols !== aL.cols) {
    throw new RangeError(`Network: target is ${y.rows}×${y.cols}, expected ${aL.rows}×${aL.cols}`);
  }
}

/**
 * Glorot/Xavier normal (variance `2/(fan_in+fan_out)`) keeps sigmoid and tanh
 * units out of saturation; He normal (variance `2/fan_in`) makes up for ReLU
 * zeroing half its inputs.
 */
function initWeights(W: Matrix, name: ActivationName, random: Random): void {
  const [fanOut, fanIn] = [W.rows, W.cols];
  const std = Math.sqrt(name === "relu" ? 2 / fanIn : 2 / (fanIn + fanOut));
  for (let i = 0; i < W.data.length; i++) W.data[i] = random.normal() * std;
}
