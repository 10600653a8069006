/**
 * A trained network as an ONNX model, so that ONNX Runtime can serve it from
 * any language it supports.
 *
 * The graph is what {@linkcode Network.forward} computes, one layer after
 * another: a `Gemm` (`Y = X·Wᵀ + b`, the samples as rows, as ONNX has them)
 * and the layer's activation (`Sigmoid`, `Tanh`, `Relu`, `Softmax`, or none
 * for `identity`), float32, opset 13. In front of it sit the input
 * preprocessing nodes the training data went through (a scale factor, or a
 * per-feature standardisation), so the model takes the raw numbers of a CSV
 * row. The preprocessing is an explicit argument rather than read from a
 * model file, since where a model keeps it is the trainer's business.
 *
 * The protobuf is written by hand from `onnx.proto` (ONNX 1.12, IR version 8):
 * a model this size needs only varints, length-delimited fields and raw
 * float32 bytes, not a protobuf library.
 *
 * @module
 */

import { type ActivationSpec, resolveActivation } from "./activations.ts";
import type { Network } from "./network.ts";

/**
 * What the data sources did to each raw feature `x` before the network saw it:
 *
 * - `{ scale }`: `x · scale`;
 * - `{ mean, std }`: `(x − mean) / std`, per feature;
 * - `{ min, max }`: `(x − min) / (max − min)`, per feature.
 *
 * A spread (`std`, `max − min`) of 0 (a constant feature) divides by 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OnnxPreprocessing } from "@fullmatrix/backprop/onnx";
 * const pixels: OnnxPreprocessing = { scale: 1 / 16 };
 * assert.equal("scale" in pixels, true);
 * ```
 */
export type OnnxPreprocessing =
  | { scale: number }
  | { mean: readonly number[]; std: readonly number[] }
  | { min: readonly number[]; max: readonly number[] }
  | OnnxAffine;

/**
 * A per-element map `v' = (v − offset[i]) · factor[i]`: how `deno task train` stores the
 * standardisation of features and regression targets in a model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { OnnxAffine } from "@fullmatrix/backprop/onnx";
 * const standard: OnnxAffine = { offset: [10, 0], factor: [0.5, 2] };
 * assert.equal((14 - standard.offset[0]) * standard.factor[0], 2);
 * ```
 */
export interface OnnxAffine {
  /** Subtracted first, per element. */
  offset: readonly number[];
  /** Then multiplied, per element. */
  factor: readonly number[];
}

/** Options of {@linkcode toOnnx}. */
export interface OnnxOptions {
  /** How raw features become the network's inputs (default: used as they are). */
  preprocessing?: OnnxPreprocessing;
  /**
   * How the network's outputs map back to the targets' units: the targets were standardised
   * as `(y − offset)·factor`, so the graph ends with `out / factor + offset` (regression).
   */
  targets?: OnnxAffine;
  /** Name of the graph's input, `[N, features]` float32 (default `"features"`). */
  input?: string;
  /** Name of the graph's output, `[N, outputs]` float32 (default `"output"`). */
  output?: string;
  /** Strings stored as the model's `metadata_props` (class names, say). */
  metadata?: Record<string, string>;
}

/** ONNX's opset the graph uses: `Softmax` over one axis and `Gemm` as they are since 13. */
const OPSET = 13;
/** IR version 8 (ONNX 1.10–1.12), which ONNX Runtime and the 1.12 checker accept. */
const IR_VERSION = 8;
/** `TensorProto.DataType.FLOAT`. */
const FLOAT = 1;
/** `AttributeProto.AttributeType.INT`. */
const INT = 2;

/**
 * The bytes of an ONNX model (a `.onnx` file) that computes what
 * `network.forward` does on inputs preprocessed as `options.preprocessing` says.
 *
 * @example A network and its ONNX file
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network } from "@fullmatrix/backprop";
 * import { toOnnx } from "@fullmatrix/backprop/onnx";
 * const net = new Network({ sizes: [4, 3, 2], activations: ["relu", "softmax"], seed: 1 });
 * const bytes = toOnnx(net, { preprocessing: { scale: 1 / 16 } });
 * // Field 1 (ir_version) comes first, as a varint.
 * assert.deepEqual([...bytes.subarray(0, 2)], [0x08, 8]);
 * ```
 */
export function toOnnx(network: Network, options: OnnxOptions = {}): Uint8Array {
  const { input = "features", output = "output" } = options;
  const features = network.sizes[0], outputs = network.sizes[network.sizes.length - 1];
  const graph = new Graph();
  let x = preprocess(graph, input, features, options.preprocessing);
  const result = options.targets ? "unscaled" : output;
  network.layers.forEach((layer, l) => {
    const last = l === network.layers.length - 1;
    const W = graph.constant(`W${l}`, [layer.W.rows, layer.W.cols], layer.W.data);
    const b = graph.constant(`b${l}`, [layer.b.rows], layer.b.data);
    const activation = network.activations[l];
    const z = last && activation === "identity" ? result : `z${l}`;
    graph.node("Gemm", [x, W, b], z, { transB: 1 });
    x = activate(graph, activation, z, last ? result : `a${l}`);
  });
  if (options.targets) {
    const { offset, factor } = checkedAffine(options.targets, outputs, "targets");
    graph.node("Div", [x, graph.constant("target_factor", [outputs], factor)], "descaled");
    graph.node("Add", ["descaled", graph.constant("target_offset", [outputs], offset)], output);
  }
  const model = new Proto()
    .int(1, IR_VERSION)
    .string(2, "@fullmatrix/backprop")
    .message(7, graph.encode("network", valueInfo(input, features), valueInfo(output, outputs)))
    .message(8, new Proto().int(2, OPSET));
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    model.message(14, new Proto().string(1, key).string(2, value));
  }
  return model.finish();
}

/** Adds the preprocessing nodes from `input` on; returns the name of their result. */
function preprocess(
  graph: Graph,
  input: string,
  features: number,
  how: OnnxPreprocessing | undefined,
): string {
  if (how === undefined) return input;
  if ("scale" in how) {
    if (!Number.isFinite(how.scale)) throw new RangeError(`scale must be finite, not ${how.scale}`);
    graph.node("Mul", [input, graph.constant("scale", [], [how.scale])], "scaled");
    return "scaled";
  }
  if ("offset" in how) {
    const { offset, factor } = checkedAffine(how, features, "preprocessing");
    graph.node("Sub", [input, graph.constant("offset", [features], offset)], "centered");
    graph.node("Mul", ["centered", graph.constant("factor", [features], factor)], "scaled");
    return "scaled";
  }
  const [center, spread] = "mean" in how
    ? [how.mean, how.std]
    : [how.min, how.max.map((max, i) => max - how.min[i])];
  for (const [name, values] of [["center", center], ["spread", spread]] as const) {
    if (values.length !== features || !values.every(Number.isFinite)) {
      throw new RangeError(`preprocessing needs ${features} finite ${name} values`);
    }
  }
  graph.node("Sub", [input, graph.constant("center", [features], center)], "centered");
  const divisors = spread.map((s) => s === 0 ? 1 : s);
  graph.node("Div", ["centered", graph.constant("spread", [features], divisors)], "scaled");
  return "scaled";
}

/** `map` with `n` finite offsets and factors, else a RangeError naming `what`. */
function checkedAffine(map: OnnxAffine, n: number, what: string): OnnxAffine {
  const ok = (v: readonly number[]) => v.length === n && v.every(Number.isFinite);
  if (!ok(map.offset) || !ok(map.factor)) {
    throw new RangeError(`${what} needs ${n} finite offsets and factors`);
  }
  return map;
}

/** Adds the node of `activation` from `z` to `a`; returns the name of the layer's output. */
function activate(graph: Graph, spec: ActivationSpec, z: string, a: string): string {
  const { name, params } = resolveActivation(spec);
  const scalar = (label: string, value: number) => graph.constant(`${z}_${label}`, [], [value]);
  switch (name) {
    case "identity":
      return z;
    case "sigmoid":
      return graph.node("Sigmoid", [z], a);
    case "tanh":
      return graph.node("Tanh", [z], a);
    case "relu":
      return graph.node("Relu", [z], a);
    case "leaky-relu":
      // max(z, slope·z) for a slope in [0, 1]: ONNX's LeakyRelu takes its alpha as a float
      // attribute, which this encoder does not write; two plain nodes compute the same.
      graph.node("Mul", [z, scalar("slope", params.slope)], `${z}_sloped`);
      return graph.node("Max", [z, `${z}_sloped`], a);
    case "gelu": {
      // ½ z (1 + tanh(√(2/π) (z + 0.044715 z³))), the tanh form the library computes
      // (opset 13 has no Gelu).
      const n = (op: string, inputs: string[], out: string) =>
        graph.node(op, inputs, `${z}_${out}`);
      n("Mul", [z, z], "sq");
      n("Mul", [`${z}_sq`, z], "cube");
      n("Mul", [`${z}_cube`, scalar("k", 0.044715)], "cubek");
      n("Add", [z, `${z}_cubek`], "inner");
      n("Mul", [`${z}_inner`, scalar("c", Math.sqrt(2 / Math.PI))], "scaled");
      n("Tanh", [`${z}_scaled`], "t");
      n("Add", [`${z}_t`, scalar("one", 1)], "t1");
      n("Mul", [z, `${z}_t1`], "zt");
      return graph.node("Mul", [`${z}_zt`, scalar("half", 0.5)], a);
    }
    case "softmax":
      // The samples are rows: each row's outputs sum to 1.
      return graph.node("Softmax", [z], a, { axis: 1 });
    default: {
      const unknown: never = name;
      throw new RangeError(`activation "${unknown}" has no ONNX form here`);
    }
  }
}

/** `ValueInfoProto` of a float32 `[N, width]` tensor, `N` left free. */
function valueInfo(name: string, width: number): Proto {
  const shape = new Proto()
    .message(1, new Proto().string(2, "N"))
    .message(1, new Proto().int(1, width));
  const tensor = new Proto().int(1, FLOAT).message(2, shape);
  return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
}

/** The nodes and weights of a `GraphProto`, in the order they are added. */
class Graph {
  readonly #nodes: Proto[] = [];
  readonly #initializers: Proto[] = [];

  /** A float32 `TensorProto` initializer named `name`; returns the name. */
  constant(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    const tensor = new Proto();
    for (const d of dims) tensor.int(1, d);
    const data = Float32Array.from(values);
    const raw = new Uint8Array(data.byteLength);
    const view = new DataView(raw.buffer);
    data.forEach((v, i) => view.setFloat32(i * 4, v, true)); // raw_data is little-endian
    this.#initializers.push(tensor.int(2, FLOAT).string(8, name).bytes(9, raw));
    return name;
  }

  /** A `NodeProto` running `op` with integer attributes; returns the output's name. */
  node(op: string, inputs: string[], output: string, attributes: Record<string, number> = {}) {
    const node = new Proto();
    for (const input of inputs) node.string(1, input);
    node.string(2, output).string(3, `${op}_${this.#nodes.length}`).string(4, op);
    for (const [name, value] of Object.entries(attributes)) {
      node.message(5, new Proto().string(1, name).int(3, value).int(20, INT));
    }
    this.#nodes.push(node);
    return output;
  }

  /** The `GraphProto`. */
  encode(name: string, input: Proto, output: Proto): Proto {
    const graph = new Proto();
    for (const node of this.#nodes) graph.message(1, node);
    graph.string(2, name);
    for (const tensor of this.#initializers) graph.message(5, tensor);
    return graph.message(11, input).message(12, output);
  }
}

/** A protobuf message being written: fields in the order they are added. */
class Proto {
  readonly #chunks: Uint8Array[] = [];

  /** A varint field (wire type 0): an int32, int64 or enum that is not negative. */
  int(field: number, value: number): this {
    if (!(Number.isSafeInteger(value) && value >= 0)) {
      throw new RangeError(`protobuf: ${value} is not a varint this writer handles`);
    }
    this.#chunks.push(varint(field * 8), varint(value));
    return this;
  }

  /** A length-delimited field (wire type 2) of raw bytes. */
  bytes(field: number, value: Uint8Array): this {
    this.#chunks.push(varint(field * 8 + 2), varint(value.length), value);
    return this;
  }

  /** A UTF-8 string field. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message field. */
  message(field: number, value: Proto): this {
    return this.bytes(field, value.finish());
  }

  /** The message's bytes. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of this.#chunks) out.set(chunk, at), at += chunk.length;
    return out;
  }
}

/** `value` as a base-128 varint, low group first. */
function varint(value: number): Uint8Array {
  const out: number[] = [];
  for (; value > 127; value = Math.floor(value / 128)) out.push((value % 128) | 128);
  out.push(value);
  return Uint8Array.from(out);
}
