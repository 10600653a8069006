/**
 * Safetensors: a file checked byte for byte against one built by hand from the format's
 * description, round trips that keep every bit, a clear error for each way a file can be
 * broken, and the network's tensors saved and loaded back.
 */

import assert from "node:assert/strict";
import { DataError } from "../src/errors.ts";
import { Network } from "../src/network.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  loadNetworkTensors,
  networkTensors,
  type Tensor,
} from "../src/safetensors.ts";

const hex = (text: string) => Uint8Array.from(text.match(/../g)!, (b) => parseInt(b, 16));

Deno.test("encode: the bytes of a small file, worked out by hand", () => {
  const bytes = encodeSafetensors({
    a: { dtype: "F32", shape: [2], data: new Float32Array([1, -2]) },
    b: { dtype: "F64", shape: [], data: new Float64Array([0.5]) },
  }, { format: "pt" });
  const json = '{"__metadata__":{"format":"pt"},' +
    '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"b":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}';
  assert.equal(json.length, 138); // padded with 6 spaces to 144 = 0x90
  const expected = new Uint8Array([
    ...hex("9000000000000000"), // header length, u64 little-endian
    ...new TextEncoder().encode(json + " ".repeat(6)),
    ...hex("0000803f" + "000000c0"), // 1 and −2 as little-endian f32
    ...hex("000000000000e03f"), // 0.5 as little-endian f64
  ]);
  assert.deepEqual(bytes, expected);
});

Deno.test("decode: a file built by hand, read from the middle of a larger buffer", () => {
  const json = '{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}';
  const padded = json + " ".repeat(8 - json.length % 8);
  const file = new Uint8Array([
    ...hex("ff"), // not part of the file
    ...hex(padded.length.toString(16).padStart(2, "0") + "00000000000000"),
    ...new TextEncoder().encode(padded),
    ...hex("0000c03f" + "00000040"), // 1.5, 2
  ]);
  const { tensors, metadata } = decodeSafetensors(file.subarray(1));
  assert.deepEqual(metadata, {});
  assert.deepEqual(tensors.w.shape, [1, 2]);
  assert.ok(tensors.w.data instanceof Float32Array);
  assert.deepEqual([...tensors.w.data], [1.5, 2]);
});

Deno.test("round trip keeps names, order, shapes, metadata and every bit", () => {
  const special = [NaN, -0, Infinity, -Infinity, 1e-40, Math.PI];
  const tensors: Record<string, Tensor> = {
    "layers.0.W": { dtype: "F32", shape: [2, 3], data: new Float32Array(special) },
    "layers.0.b": { dtype: "F64", shape: [6], data: new Float64Array(special) },
    empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
    scalar: { dtype: "F64", shape: [], data: new Float64Array([42]) },
  };
  const metadata = { epoch: "3", note: "ünïcode" };
  const back = decodeSafetensors(encodeSafetensors(tensors, metadata));
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(Object.keys(back.tensors), Object.keys(tensors));
  for (const [name, t] of Object.entries(tensors)) {
    const u = back.tensors[name];
    assert.equal(u.dtype, t.dtype);
    assert.deepEqual(u.shape, t.shape);
    assert.equal(u.data.constructor, t.data.constructor);
    assert.deepEqual(new Uint8Array(u.data.buffer), new Uint8Array(t.data.buffer), name);
  }
});

Deno.test("encode: data that does not match its dtype or shape is refused", () => {
  const f32 = new Float32Array(4);
  assert.throws(
    () => encodeSafetensors({ x: { dtype: "F64", shape: [4], data: f32 } }),
    /"x" is F64 but its data is a Float32Array/,
  );
  assert.throws(
    () => encodeSafetensors({ x: { dtype: "F32", shape: [3], data: f32 } }),
    /"x" has shape \[3\] \(3 elements\) but 4 values/,
  );
  assert.throws(
    () => encodeSafetensors({ x: { dtype: "F32", shape: [-4], data: f32 } }),
    /not a list of sizes/,
  );
  assert.throws(
    () => encodeSafetensors({ __metadata__: { dtype: "F32", shape: [4], data: f32 } }),
    /bad tensor name "__metadata__"/,
  );
});

/** A file with `header` as its JSON and `dataLength` zero bytes of data. */
function file(header: unknown, dataLength: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + dataLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({
  dtype,
  shape,
  data_offsets: [begin, end],
});

Deno.test("decode: each kind of broken file gets an error that says what is wrong", () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(5), /5 bytes, too short for the 8-byte header length/],
    [hex("ffffffffffffffff00"), /header length 18446744073709551615 runs past the end/],
    [hex("0200000000000000" + "7b"), /header length 2 runs past the end of the file \(9 bytes\)/],
    [hex("0200000000000000" + "7b7b"), /the header is not UTF-8 JSON/],
    [hex("0200000000000000" + "5b5d"), /the header is not a JSON object/],
    [file({ x: entry("BF16", [2], 0, 4) }, 4), /"x" has dtype "BF16"; supported are F32, F64/],
    [file({ x: entry("F32", [2.5], 0, 10) }, 10), /"x" has shape \[2.5\], not a list of sizes/],
    [
      file({ x: { dtype: "F32", shape: [1] } }, 4),
      /"x" has data_offsets undefined, not \[begin, end\]/,
    ],
    [file({ x: entry("F32", [2], 0, 8) }, 4), /"x" has bytes \[0, 8\), outside the data's 4 bytes/],
    [file({ x: entry("F32", [2], 0, 4) }, 4), /"x" has 4 bytes, but F32 \[2\] takes 8/],
    [
      file({ x: entry("F32", [2], 0, 8), y: entry("F32", [1], 4, 8) }, 8),
      /"y" \(bytes 4..8\) overlaps "x"/,
    ],
    [file({ x: entry("F32", [1], 4, 8) }, 8), /"x" \(bytes 4..8\) leaves a gap after the start/],
    [file({ x: entry("F32", [1], 0, 4) }, 12), /8 bytes after the last tensor belong to none/],
    [
      file({ __metadata__: { epoch: 3 }, x: entry("F32", [1], 0, 4) }, 4),
      /__metadata__ must map names to strings/,
    ],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => decodeSafetensors(bytes), (e) => {
      assert.ok(e instanceof DataError, `${message}: a DataError`);
      assert.match(e.message, /^safetensors: /);
      assert.match(e.message, message);
      return true;
    });
  }
  // A header that is not JSON keeps the parser's error as its cause.
  assert.throws(
    () => decodeSafetensors(hex("0200000000000000" + "7b7b")),
    (e) => e instanceof DataError && e.cause instanceof SyntaxError,
  );
});

Deno.test("decode: a header over 1 MiB is refused before it is parsed", () => {
  const name = "x".repeat(1 << 20);
  const bytes = file({ [name]: entry("F32", [1], 0, 4) }, 4);
  assert.throws(
    () => decodeSafetensors(bytes),
    /header length 1048\d+ is over the limit of 1048576 bytes/,
  );
  // Just under the limit is fine.
  const fits = file({ ["y".repeat((1 << 20) - 100)]: entry("F32", [1], 0, 4) }, 4);
  assert.equal(Object.keys(decodeSafetensors(fits).tensors).length, 1);
});

Deno.test("network tensors: named layers.l.W and layers.l.b, loaded back exactly", () => {
  const trained = new Network({ sizes: [3, 4, 2], activations: ["relu", "softmax"], seed: 1 });
  const tensors = networkTensors(trained);
  assert.deepEqual(
    Object.entries(tensors).map(([name, t]) => `${name} ${t.dtype} [${t.shape}]`),
    ["layers.0.W F32 [4,3]", "layers.0.b F32 [4]", "layers.1.W F32 [2,4]", "layers.1.b F32 [2]"],
  );
  trained.layers[1].b.data[0] = 0.25;
  assert.equal(tensors["layers.1.b"].data[0], 0, "a copy, not a view");
  const fresh = new Network({ sizes: [3, 4, 2], activations: ["relu", "softmax"], seed: 2 });
  const extra = {
    "optimizer.m.0.W": { dtype: "F32" as const, shape: [1], data: new Float32Array(1) },
  };
  const bytes = encodeSafetensors({ ...networkTensors(trained), ...extra });
  loadNetworkTensors(fresh, decodeSafetensors(bytes).tensors);
  assert.deepEqual(fresh.layers, trained.layers);
});

Deno.test("network tensors: a float64 file loads into float32; missing or misshapen tensors are refused", () => {
  const wide = new Network({ sizes: [2, 1], activations: "sigmoid", dtype: "float64", seed: 3 });
  const narrow = new Network({ sizes: [2, 1], activations: "sigmoid" });
  const tensors = networkTensors(wide);
  assert.equal(tensors["layers.0.W"].dtype, "F64");
  loadNetworkTensors(narrow, tensors);
  assert.equal(narrow.layers[0].W.data[1], Math.fround(wide.layers[0].W.data[1]));
  const { "layers.0.b": _, ...noBias } = tensors;
  assert.throws(() => loadNetworkTensors(narrow, noBias), /no tensor "layers.0.b"/);
  const other = networkTensors(new Network({ sizes: [3, 1], activations: "sigmoid" }));
  assert.throws(
    () => loadNetworkTensors(narrow, other),
    /"layers.0.W" has shape \[1,3\], the network needs \[1,2\]/,
  );
});

Deno.test("network tensors: non-finite values are refused and the network is left as it was", () => {
  const network = new Network({ sizes: [2, 1], activations: "sigmoid", seed: 5 });
  const before = network.layers[0].W.data.slice();
  for (const bad of [NaN, Infinity, -Infinity]) {
    const tensors = networkTensors(new Network({ sizes: [2, 1], activations: "sigmoid" }));
    tensors["layers.0.b"].data[0] = bad;
    assert.throws(
      () => loadNetworkTensors(network, tensors),
      new RegExp(`"layers.0.b" holds ${bad} at element 0, not a finite weight`),
    );
    assert.deepEqual(network.layers[0].W.data, before);
  }
});
