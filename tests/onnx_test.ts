/**
 * ONNX export: ONNX Runtime (onnxruntime-web, its wasm build) runs the exported
 * graph on the raw features of the digits and gives our forward pass's outputs
 * within 1e-5; ONNX's own checker (Debian's python3-onnx) accepts the file;
 * `deno task export` writes the same file from a model folder.
 */

import assert from "node:assert/strict";
import { task } from "./helpers/cli.ts";
import { csvSamples, decodeModel, fromRows, Network, type Sample } from "../mod.ts";
import { type OnnxPreprocessing, toOnnx } from "../onnx.ts";

/** The first `count` rows of the digits' test set, raw (0..16). */
async function digits(count: number) {
  const raw: number[][] = [];
  const stream = csvSamples((await Deno.open("data/digits_test.csv")).readable, { classes: 10 });
  for await (const s of stream as ReadableStream<Sample>) {
    raw.push([...s.x]);
    if (raw.length === count) break;
  }
  return raw;
}

/** ORT's wasm file: the one file of the package that the child needs leave to read. */
const ortWasm = new URL("ort-wasm-simd-threaded.wasm", import.meta.resolve("onnxruntime-web"));

/** ONNX Runtime's outputs for each model on `rows` of raw features, a row per sample. */
async function runOnnx(models: Uint8Array[], rows: number[][]): Promise<Float32Array[]> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/input.json`, JSON.stringify(rows));
    const paths = await Promise.all(models.map(async (bytes, i) => {
      await Deno.writeFile(`${dir}/${i}.onnx`, bytes);
      return `${dir}/${i}.onnx`;
    }));
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        "--no-prompt",
        `--allow-read=${dir},${ortWasm.pathname}`,
        "tests/fixtures/ort_run.ts",
        `${dir}/input.json`,
        ...paths,
      ],
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const outputs: number[][] = JSON.parse(new TextDecoder().decode(out.stdout));
    return outputs.map((o) => Float32Array.from(o));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Our outputs for `inputs` (preprocessed rows), as ONNX lays them out: a row per sample. */
function ours(network: Network, inputs: number[][]): Float32Array {
  const x = fromRows(inputs[0].map((_, i) => inputs.map((row) => row[i]))); // samples as columns
  const a = network.forward(x);
  const out = new Float32Array(a.rows * a.cols);
  for (let j = 0; j < a.cols; j++) {
    for (let i = 0; i < a.rows; i++) out[j * a.rows + i] = a.data[i * a.cols + j];
  }
  return out;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
}

const raw = await digits(200);
const mean = raw[0].map((_, i) => raw.reduce((s, r) => s + r[i], 0) / raw.length);
const std = raw[0].map((_, i) =>
  Math.sqrt(raw.reduce((s, r) => s + (r[i] - mean[i]) ** 2, 0) / raw.length)
);
const min = raw[0].map((_, i) => Math.min(...raw.map((r) => r[i])));
const max = raw[0].map((_, i) => Math.max(...raw.map((r) => r[i])));

/** Each preprocessing, and what it does to a raw row (a spread of 0 divides by 1). */
const cases: [string, OnnxPreprocessing, (r: number[]) => number[]][] = [
  ["scale", { scale: 1 / 16 }, (r) => r.map((v) => v / 16)],
  ["mean/std", { mean, std }, (r) => r.map((v, i) => (v - mean[i]) / (std[i] || 1))],
  ["min/max", { min, max }, (r) => r.map((v, i) => (v - min[i]) / (max[i] - min[i] || 1))],
  [
    "offset/factor",
    { offset: mean, factor: std.map((s) => 1 / (s || 1)) },
    (r) => r.map((v, i) => (v - mean[i]) / (std[i] || 1)),
  ],
];

/** One network per activation, each reaching the output layer of its kind. */
const networks = [
  new Network({ sizes: [64, 32, 10], activations: ["relu", "softmax"], seed: 1 }),
  new Network({ sizes: [64, 16, 8, 3], activations: ["tanh", "sigmoid", "identity"], seed: 2 }),
  new Network({ sizes: [64, 10], activations: "softmax", seed: 3, dtype: "float64" }),
  new Network({
    sizes: [64, 16, 8, 10],
    activations: ["gelu", "leaky-relu:0.2", "softmax"],
    seed: 5,
  }),
];

/** Every network under every preprocessing, run by ONNX Runtime in one child process. */
const runs = networks.flatMap((network) =>
  cases.map(([name, preprocessing, apply]) => ({ network, name, preprocessing, apply }))
);
let outputs: Promise<Float32Array[]> | undefined;
const onnxOutputs = () =>
  outputs ??= runOnnx(runs.map((r) => toOnnx(r.network, { preprocessing: r.preprocessing })), raw);

for (const [i, { network, name, apply }] of runs.entries()) {
  Deno.test(`onnx: ${network.activations.join("/")} ${network.dtype}, ${name}: ONNX Runtime gives our outputs`, async () => {
    const got = (await onnxOutputs())[i];
    const want = ours(network, raw.map(apply));
    assert.ok(want.some((v) => v !== 0));
    assert.ok(maxDifference(got, want) <= 1e-5, `max difference ${maxDifference(got, want)}`);
  });
}

Deno.test("onnx: a regression's outputs come back in the targets' units", async () => {
  const network = new Network({ sizes: [64, 8, 2], activations: ["tanh", "identity"], seed: 4 });
  const targets = { offset: [150, -3], factor: [0.01, 4] };
  const [got] = await runOnnx(
    [toOnnx(network, { preprocessing: { scale: 1 / 16 }, targets })],
    raw,
  );
  const scaled = ours(network, raw.map((r) => r.map((v) => v / 16)));
  const want = scaled.map((v, i) => v / targets.factor[i % 2] + targets.offset[i % 2]);
  assert.ok(maxDifference(got, want) <= 1e-3, `max difference ${maxDifference(got, want)}`);
  assert.ok(maxDifference(got, scaled) > 1);
});

Deno.test("onnx: another network's outputs are not ours (the comparison can fail)", async () => {
  const other = new Network({ sizes: [64, 32, 10], activations: ["relu", "softmax"], seed: 9 });
  const want = ours(other, raw.map((r) => r.map((v) => v / 16)));
  assert.ok(maxDifference((await onnxOutputs())[0], want) > 1e-3);
});

Deno.test("onnx: bad preprocessing is refused with a RangeError", () => {
  const [network] = networks;
  assert.throws(() => toOnnx(network, { preprocessing: { mean: [0], std: [1] } }), RangeError);
  assert.throws(() => toOnnx(network, { preprocessing: { scale: NaN } }), RangeError);
});

const python = "/usr/bin/python3";
const checker = `import onnx, sys
onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)
print("ok")`;
const mayRunPython = (await Deno.permissions.query({ name: "run", command: python })).state ===
  "granted";
const hasOnnx = mayRunPython &&
  (await new Deno.Command(python, { args: ["-c", "import onnx"], stderr: "null" }).output())
    .success;

Deno.test({
  name: "onnx: ONNX's checker accepts the file (full check, with shape inference)",
  ignore: !hasOnnx,
  async fn() {
    const path = await Deno.makeTempFile({ suffix: ".onnx" });
    try {
      const [network] = networks;
      await Deno.writeFile(path, toOnnx(network, { preprocessing: { mean, std } }));
      const out = await new Deno.Command(python, { args: ["-c", checker, path] }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.equal(new TextDecoder().decode(out.stdout).trim(), "ok");
    } finally {
      await Deno.remove(path);
    }
  },
});
if (!hasOnnx) {
  console.log(
    `onnx checker test skipped: ${
      mayRunPython
        ? `${python} has no onnx package (apt install python3-onnx)`
        : `no --allow-run=${python}`
    }`,
  );
}

Deno.test("onnx: deno task export turns a model of deno task train into ONNX, its scale baked in", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const trained = await task("train", ["--epochs", "2", "--out", `${dir}/run`]);
    assert.equal(trained.code, 0, trained.stderr);
    const run = (...args: string[]) => task("export", args);
    const done = await run("--model", `${dir}/run`, "--onnx", `${dir}/digits.onnx`);
    assert.equal(done.code, 0, done.stderr);
    const { network, extra } = decodeModel(await Deno.readFile(`${dir}/run/model.safetensors`));
    // The default for a CSV: per-feature standardisation, stored as offsets and factors.
    const { scale } = extra as { scale: { offset: number[]; factor: number[] } };
    assert.equal(scale.offset.length, 64);
    const standardised = raw.map((r) => r.map((v, i) => (v - scale.offset[i]) * scale.factor[i]));
    const [got] = await runOnnx([await Deno.readFile(`${dir}/digits.onnx`)], raw);
    assert.ok(maxDifference(got, ours(network, standardised)) <= 1e-5);

    const usage = await run("--model", dir);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^error: --onnx is required$/m);
    const missing = await run("--model", `${dir}/nothing`, "--onnx", `${dir}/x.onnx`);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^error: .*nothing\/model\.safetensors: no such model file$/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
