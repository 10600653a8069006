/**
 * Reading and writing the safetensors format, so that weights and checkpoints can be
 * loaded by other tools (the `safetensors` libraries of Python and Rust, NumPy, PyTorch)
 * and are safe to open: the format is data only, nothing in it runs.
 *
 * A file is:
 *
 *     [8 bytes] N, the header length, little-endian u64
 *     [N bytes] JSON header: { "<name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24] },
 *                              "__metadata__": { "<key>": "<text>" } }, space-padded
 *     [rest]    the tensors' raw little-endian bytes, back to back
 *
 * `data_offsets` count from the start of the data, after the header. Only `F32` and
 * `F64` are supported, the element types of this library.
 *
 * @module
 */

import { DataError } from "./errors.ts";
import type { FloatArray } from "./matrix.ts";
import type { Layer, Network } from "./network.ts";

/**
 * The element types this library reads and writes: 32- and 64-bit floats.
 *
 * @example
 * ```ts
 * import type { SafetensorsDType } from "@fullmatrix/backprop";
 * const dtype: SafetensorsDType = "F32";
 * ```
 */
export type SafetensorsDType = "F32" | "F64";

/**
 * One tensor: its element type, shape and elements in row-major order.
 *
 * @example
 * ```ts
 * import type { Tensor } from "@fullmatrix/backprop";
 * const t: Tensor = { dtype: "F32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
 * ```
 */
export interface Tensor {
  /** `"F32"` with a `Float32Array`, `"F64"` with a `Float64Array`. */
  dtype: SafetensorsDType;
  /** The size of each dimension; `[]` is a scalar. */
  shape: number[];
  /** The elements, last dimension fastest; as many as the shape's product. */
  data: FloatArray;
}

/**
 * What a safetensors file holds.
 *
 * @example
 * ```ts
 * import type { Safetensors } from "@fullmatrix/backprop";
 * const names = (file: Safetensors) => Object.keys(file.tensors);
 * ```
 */
export interface Safetensors {
  /** The tensors by name, in the header's order. */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` texts; empty when the file has none. */
  metadata: Record<string, string>;
}

const METADATA = "__metadata__";
const ELEMENT_BYTES: Record<SafetensorsDType, number> = { F32: 4, F64: 8 };
/**
 * The largest header read: a network's header takes about 150 bytes a layer, so 1 MiB holds
 * some 7,000 layers, and parsing it stays far inside the CLI's 64 MiB heap (a 30 MB header
 * claiming 200k layers crashed it before this cap).
 */
const MAX_HEADER_BYTES = 1 << 20;

/** A broken file: its message reads `safetensors: reason` (the caller names the file). */
const broken = (reason: string) => new DataError(reason, { source: "safetensors" });

/**
 * The safetensors bytes of `tensors`, laid out in the record's order, with optional
 * `metadata` texts.
 *
 * @example Save a network's weights
 * ```ts ignore
 * import { encodeSafetensors, Network, networkTensors } from "@fullmatrix/backprop";
 * const network = new Network({ sizes: [4, 3], activations: "sigmoid" });
 * await Deno.writeFile("model.safetensors", encodeSafetensors(networkTensors(network), { epoch: "3" }));
 * ```
 *
 * @example The first bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeSafetensors } from "@fullmatrix/backprop";
 * const bytes = encodeSafetensors({ w: { dtype: "F32", shape: [1], data: new Float32Array([1]) } });
 * const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
 * assert.ok(headerLength % 8 === 0 && bytes.length === 8 + headerLength + 4);
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    header[METADATA] = checkMetadata(metadata, (m) => new TypeError(`safetensors: ${m}`));
  }
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const size = checkTensor(name, tensor);
    header[name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + size],
    };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Padding to a multiple of 8 keeps the data aligned for readers that map the file.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);
  offset = 8 + headerLength;
  for (const tensor of Object.values(tensors)) offset = writeData(view, offset, tensor);
  return bytes;
}

/**
 * The tensors and metadata of safetensors `bytes`. Everything is checked before use: the
 * header must fit in the file and be a JSON object, each tensor's offsets must lie within
 * the data and match its dtype and shape, and the tensors must cover the data exactly,
 * with no overlap and no gap, and the header may take at most 1 MiB. Problems throw a
 * `DataError` whose message reads `safetensors: …` and says what is wrong.
 *
 * @example Load weights saved by {@linkcode encodeSafetensors}
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "@fullmatrix/backprop";
 * const bytes = encodeSafetensors({ b: { dtype: "F64", shape: [2], data: new Float64Array([0.5, -1]) } });
 * const { tensors } = decodeSafetensors(bytes);
 * assert.ok(tensors.b.data[1] === -1 && tensors.b.data instanceof Float64Array);
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array): Safetensors {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(bytes, view);
  const dataStart = 8 + Number(view.getBigUint64(0, true));
  const dataLength = bytes.length - dataStart;
  const metadata = header[METADATA] === undefined ? {} : checkMetadata(header[METADATA], broken);
  const entries = Object.entries(header).filter(([name]) => name !== METADATA)
    .map(([name, entry]) => parseEntry(name, entry, dataLength));
  checkLayout(entries, dataLength);
  const tensors: Record<string, Tensor> = {};
  for (const { name, dtype, shape, begin, end } of entries) {
    tensors[name] = {
      dtype,
      shape,
      data: readData(view, dataStart + begin, dataStart + end, dtype),
    };
  }
  return { tensors, metadata };
}

/**
 * A network's parameters as tensors named `layers.0.W` (shape `[Nl, N(l-1)]`),
 * `layers.0.b` (shape `[Nl]`), … for layer 1, 2, …; copies, safe to keep. Pass `layers`
 * to name a snapshot instead of the live parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Network, networkTensors } from "@fullmatrix/backprop";
 * const tensors = networkTensors(new Network({ sizes: [4, 3, 2], activations: "relu" }));
 * assert.ok(tensors["layers.1.W"].shape.join() === "2,3" && tensors["layers.1.b"].shape.join() === "2");
 * ```
 */
export function networkTensors(
  network: Network,
  layers: Layer[] = network.layers,
): Record<string, Tensor> {
  const dtype: SafetensorsDType = network.dtype === "float64" ? "F64" : "F32";
  const tensors: Record<string, Tensor> = {};
  layers.forEach(({ W, b }, l) => {
    tensors[`layers.${l}.W`] = { dtype, shape: [W.rows, W.cols], data: W.data.slice() };
    tensors[`layers.${l}.b`] = { dtype, shape: [b.rows], data: b.data.slice() };
  });
  return tensors;
}

/**
 * Copies tensors named as by {@linkcode networkTensors} into the network's parameters.
 * Every layer's `W` and `b` must be there with the network's shapes and finite values
 * (else a `DataError`); values of the other float type are converted; other tensors (an
 * optimizer's, say) are ignored.
 *
 * @example Restore weights
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors, loadNetworkTensors, Network, networkTensors } from "@fullmatrix/backprop";
 * const trained = new Network({ sizes: [2, 1], activations: "sigmoid", seed: 1 });
 * const bytes = encodeSafetensors(networkTensors(trained));
 * const fresh = new Network({ sizes: [2, 1], activations: "sigmoid", seed: 2 });
 * loadNetworkTensors(fresh, decodeSafetensors(bytes).tensors);
 * assert.ok(fresh.layers[0].W.data[0] === trained.layers[0].W.data[0]);
 * ```
 */
export function loadNetworkTensors(network: Network, tensors: Record<string, Tensor>): void {
  checkNetworkTensors(network.sizes, tensors);
  network.layers.forEach(({ W, b }, l) => {
    W.data.set(tensors[`layers.${l}.W`].data);
    b.data.set(tensors[`layers.${l}.b`].data);
  });
}

/**
 * Checks that `tensors` hold every layer of a network of `sizes`, with its shapes and
 * finite values, before anything is allocated for it; a `DataError` says what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkNetworkTensors, networkTensors } from "./safetensors.ts";
 * import { Network } from "./network.ts";
 * const tensors = networkTensors(new Network({ sizes: [3, 2], activations: "sigmoid" }));
 * checkNetworkTensors([3, 2], tensors);
 * assert.throws(() => checkNetworkTensors([3, 5], tensors), /needs \[5,3\]/);
 * ```
 */
export function checkNetworkTensors(
  sizes: readonly number[],
  tensors: Record<string, Tensor>,
): void {
  for (let l = 0; l + 1 < sizes.length; l++) {
    tensorOk(tensors, `layers.${l}.W`, [sizes[l + 1], sizes[l]]);
    tensorOk(tensors, `layers.${l}.b`, [sizes[l + 1]]);
  }
}

function tensorOk(tensors: Record<string, Tensor>, name: string, shape: number[]): void {
  const tensor = tensors[name];
  if (!tensor) throw broken(`no tensor "${name}"`);
  if (tensor.shape.join() !== shape.join()) {
    throw broken(`"${name}" has shape [${tensor.shape}], the network needs [${shape}]`);
  }
  const at = tensor.data.findIndex((v) => !Number.isFinite(v));
  if (at >= 0) {
    throw broken(`"${name}" holds ${tensor.data[at]} at element ${at}, not a finite weight`);
  }
}

/** Checks a tensor to write and returns its size in bytes. */
function checkTensor(name: string, { dtype, shape, data }: Tensor): number {
  if (name === "" || name === METADATA) {
    throw new TypeError(`safetensors: bad tensor name "${name}"`);
  }
  const type = { F32: Float32Array, F64: Float64Array }[dtype];
  if (!type) {
    throw new TypeError(`safetensors: "${name}" has dtype ${dtype}; supported are F32, F64`);
  }
  if (!(data instanceof type)) {
    throw new TypeError(
      `safetensors: "${name}" is ${dtype} but its data is a ${data.constructor.name}`,
    );
  }
  const count = elements(name, shape, (m) => new TypeError(`safetensors: ${m}`));
  if (count !== data.length) {
    throw new RangeError(
      `safetensors: "${name}" has shape [${shape}] (${count} elements) but ${data.length} values`,
    );
  }
  return count * ELEMENT_BYTES[dtype];
}

/** Makes the error for a problem: a `DataError` in a file read, a `TypeError` in arguments. */
type Fail = (reason: string) => Error;

/** The element count of a shape of non-negative integers. */
function elements(name: string, shape: unknown, fail: Fail): number {
  if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw fail(`"${name}" has shape ${JSON.stringify(shape)}, not a list of sizes`);
  }
  return shape.reduce((a, n) => a * n, 1);
}

function checkMetadata(metadata: unknown, fail: Fail): Record<string, string> {
  const ok = typeof metadata === "object" && metadata !== null && !Array.isArray(metadata) &&
    Object.values(metadata).every((v) => typeof v === "string");
  if (!ok) throw fail("__metadata__ must map names to strings");
  return { ...metadata as Record<string, string> };
}

function writeData(view: DataView, offset: number, { dtype, data }: Tensor): number {
  // DataView writes little-endian on any machine, as the format requires.
  if (dtype === "F32") {
    for (let i = 0; i < data.length; i++, offset += 4) view.setFloat32(offset, data[i], true);
  } else {
    for (let i = 0; i < data.length; i++, offset += 8) view.setFloat64(offset, data[i], true);
  }
  return offset;
}

function readData(view: DataView, begin: number, end: number, dtype: SafetensorsDType): FloatArray {
  if (dtype === "F32") {
    const out = new Float32Array((end - begin) / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(begin + 4 * i, true);
    return out;
  }
  const out = new Float64Array((end - begin) / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(begin + 8 * i, true);
  return out;
}

function readHeader(bytes: Uint8Array, view: DataView): Record<string, unknown> {
  if (bytes.length < 8) {
    throw broken(`${bytes.length} bytes, too short for the 8-byte header length`);
  }
  const length = view.getBigUint64(0, true);
  if (length > BigInt(bytes.length - 8)) {
    throw broken(`header length ${length} runs past the end of the file (${bytes.length} bytes)`);
  }
  if (length > MAX_HEADER_BYTES) {
    throw broken(`header length ${length} is over the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(8, 8 + Number(length)),
    );
    header = JSON.parse(text);
  } catch (e) {
    throw new DataError(`the header is not UTF-8 JSON (${(e as Error).message})`, {
      source: "safetensors",
    }, { cause: e });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw broken("the header is not a JSON object");
  }
  return header as Record<string, unknown>;
}

/** A header entry, checked against itself and the data length. */
interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, entry: unknown, dataLength: number): Entry {
  const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
  if (dtype !== "F32" && dtype !== "F64") {
    throw broken(`"${name}" has dtype ${JSON.stringify(dtype)}; supported are F32, F64`);
  }
  const size = elements(name, shape, broken) * ELEMENT_BYTES[dtype];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(Number.isSafeInteger)) {
    throw broken(`"${name}" has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`);
  }
  const [begin, end] = offsets as number[];
  if (!(0 <= begin && begin <= end && end <= dataLength)) {
    throw broken(`"${name}" has bytes [${begin}, ${end}), outside the data's ${dataLength} bytes`);
  }
  if (end - begin !== size) {
    throw broken(`"${name}" has ${end - begin} bytes, but ${dtype} [${shape}] takes ${size}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** The tensors must tile the data: sorted by offset, each starts where the last ended. */
function checkLayout(entries: Entry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0, previous = "the start of the data";
  for (const { name, begin, end } of sorted) {
    if (begin !== expected) {
      const problem = begin < expected ? "overlaps" : "leaves a gap after";
      throw broken(`"${name}" (bytes ${begin}..${end}) ${problem} ${previous}`);
    }
    expected = end;
    previous = `"${name}"`;
  }
  if (expected !== dataLength) {
    throw broken(`${dataLength - expected} bytes after the last tensor belong to none`);
  }
}
