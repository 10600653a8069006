/**
 * # @fullmatrix/backprop/onnx
 *
 * A trained network as an ONNX model, input preprocessing included, for ONNX
 * Runtime and every language it serves. A subpath of its own: most programs
 * that train do not export, and the root export stays the core.
 *
 * @example Export a network
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network } from "@fullmatrix/backprop";
 * import { toOnnx } from "@fullmatrix/backprop/onnx";
 * const net = new Network({ sizes: [64, 10], activations: "softmax" });
 * const bytes = toOnnx(net, { preprocessing: { scale: 1 / 16 } });
 * assert.ok(bytes.length > 64 * 10 * 4); // the weights, as float32
 * ```
 *
 * @module
 */

export { type OnnxAffine, type OnnxOptions, type OnnxPreprocessing, toOnnx } from "./src/onnx.ts";
// The type of toOnnx's argument, for the documentation of this entry; the class is the root's.
export type { Network } from "./src/network.ts";
