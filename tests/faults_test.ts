/**
 * Faults and privileges: Ctrl-C saves a checkpoint, SIGKILL at any moment
 * never leaves a broken newest checkpoint, cancelling releases the file, the
 * library needs no permission, and the commands can touch only what they are given (more
 * in sandbox_test.ts).
 */

import assert from "node:assert/strict";
import { permissionsFor } from "../cli/launch.ts";
import { defaultBlasPath } from "../mod.ts";
import { loadNewestCheckpoint } from "../cli/run_files.ts";
import { csvSamples, Network, SGD, train } from "../mod.ts";
import { Random } from "../src/random.ts";

const text = new TextDecoder();

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command("deno", {
    args,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Polls until `path` exists: a sign that the child has got going. */
async function untilExists(path: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await Deno.stat(path).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} did not appear`);
}

Deno.test("Ctrl-C during `deno task train`: the batch finishes, a checkpoint is written and named, exit 130", async () => {
  const out = await Deno.makeTempDir();
  try {
    const child = spawn([
      "run",
      "--allow-run=deno",
      "cli/launch.ts",
      "train",
      "--epochs",
      "100000",
      "--out",
      out,
    ]);
    const [stdout, stderr] = [new Response(child.stdout).text(), new Response(child.stderr).text()];
    await untilExists(`${out}/history.json`);
    child.kill("SIGINT");
    const { code } = await child.status;
    assert.equal(code, 130);
    assert.match(await stdout, /interrupted in epoch \d+ after step \d+/);
    const saved = await loadNewestCheckpoint(out);
    assert.match(
      await stderr,
      new RegExp(`interrupted: checkpoint written to ${saved.path}; continue with --resume ${out}`),
    );
    assert.ok(saved.info.progress.step >= 1);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("SIGKILL at random moments never leaves a broken newest checkpoint", async () => {
  const out = await Deno.makeTempDir();
  const random = new Random(2026);
  const perms = [`--allow-read=data,${out}`, `--allow-write=${out}`];
  let loaded = 0;
  try {
    for (let round = 0; round < 12; round++) {
      const resume = loaded > 0 ? ["--resume", out] : ["--out", out];
      const child = spawn([
        "run",
        ...perms,
        "cli/train.ts",
        ...resume,
        "--epochs",
        "100000",
        "--batch",
        "8",
        "--snapshot-every",
        "7",
      ]);
      const drained = Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      await new Promise((r) => setTimeout(r, 400 + random.int(1200)));
      child.kill("SIGKILL");
      await child.status;
      await drained;
      const saved = await loadNewestCheckpoint(out).catch((e) => {
        if (/no checkpoint to resume from/.test(e.message)) return undefined; // killed before the first epoch ended
        throw e;
      });
      if (!saved) continue;
      const network = saved.network("typescript");
      assert.deepEqual(network.sizes, [64, 32, 10]);
      assert.ok(network.layers.every(({ W }) => W.data.every(Number.isFinite)));
      loaded++;
    }
    assert.ok(loaded >= 8, `only ${loaded} of 12 rounds had a checkpoint`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cancelling the pipeline releases the file: consumer cancel() and AbortSignal (resource sanitizer)", async () => {
  const path = "data/digits_train.csv";
  const options = (signal?: AbortSignal) => ({
    network: new Network({ sizes: [64, 8, 10], activations: ["relu", "softmax"] as const }),
    loss: "cross-entropy" as const,
    optimizer: new SGD({ learningRate: 0.1 }),
    data: async () => csvSamples((await Deno.open(path)).readable, { source: path, classes: 10 }),
    epochs: 5,
    batchSize: 4,
    signal,
  });
  const reader = train(options()).getReader();
  for (let i = 0; i < 3; i++) await reader.read();
  await reader.cancel();

  const abort = new AbortController();
  let steps = 0;
  for await (const e of train(options(abort.signal))) {
    if (e.type === "step" && ++steps === 3) abort.abort();
    if (e.type === "end") assert.equal(e.reason, "aborted");
  }
  assert.equal(steps, 3);
});

Deno.test("the library needs no permission: a script training from its own stream runs with no --allow flag", async () => {
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: ["run", "--no-prompt", "tests/fixtures/library_only.ts"],
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 0, text.decode(stderr));
  const result = JSON.parse(text.decode(stdout));
  assert.ok(result.accuracy > 0.9, `accuracy ${result.accuracy}`);
  assert.match(result.kernels, /^wasm-/);
});

Deno.test("the train command may read only the paths it is given and write only under --out", async () => {
  const perms = permissionsFor("train", [
    "--data",
    "/tmp/in.csv",
    "--out=/tmp/run/",
    "--epochs",
    "3",
  ]);
  // FFI names one file: the platform's usual BLAS, or the one --blas names. Besides the user's
  // paths it reads the package's own source, which its CSV parser's worker loads.
  const ffi = defaultBlasPath() ? [`--allow-ffi=${defaultBlasPath()}`] : [];
  const repo = new URL("..", import.meta.url).pathname;
  assert.deepEqual(perms, [
    `--allow-read=/tmp/in.csv,/tmp/run,${repo}src`,
    "--allow-write=/tmp/run",
    ...ffi,
  ]);
  // Without a data flag it falls back on the bundled data (in the repository), and may read that alone.
  assert.deepEqual(permissionsFor("train", ["--out", "/tmp/run"]), [
    `--allow-read=/tmp/run,${repo}data/digits_train.csv,${repo}data/digits_test.csv,${repo}src`,
    "--allow-write=/tmp/run",
    ...ffi,
  ]);
  assert.deepEqual(
    permissionsFor("train", ["--blas", "/opt/blas.so"]).at(-1),
    "--allow-ffi=/opt/blas.so",
  );
  assert.ok(!permissionsFor("predict", ["--model", "m"]).some((f) => f.startsWith("--allow-ffi")));
  const out = await Deno.makeTempDir();
  try {
    const probe = (path: string) =>
      new Deno.Command("deno", {
        args: [
          "run",
          "--no-prompt",
          ...permissionsFor("train", ["--out", out]),
          "tests/fixtures/write_probe.ts",
          path,
        ],
      })
        .output().then((o) => text.decode(o.stdout).trim());
    assert.equal(await probe(`${out}/inside.txt`), "written");
    assert.equal(await probe(`${out}-elsewhere.txt`), "NotCapable");
    assert.equal(await probe("data/overwrite.csv"), "NotCapable");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
