/**
 * The library bundled into one ES module trains the digits in Node (≥ 0.95
 * validation accuracy) and ends with the very parameters Deno's run ends with
 * on the same kernels. Node has no global `Worker`, so a network asked for two
 * threads runs on one and its `kernels` says so.
 *
 * Needs `node` on the PATH (the test task grants running it); without it the test says it was skipped.
 */

import assert from "node:assert/strict";
import { bundleLibrary, denoRun, type DigitsRun } from "./runtimes/bundle.ts";

const NODE = "node";

/** Node's major version, or why there is none to run. */
async function nodeVersion(): Promise<number | string> {
  try {
    const out = await new Deno.Command(NODE, { args: ["--version"] }).output();
    return out.success
      ? Number(new TextDecoder().decode(out.stdout).slice(1).split(".")[0])
      : "node --version failed";
  } catch (e) {
    return e instanceof Deno.errors.NotFound
      ? "node is not on the PATH"
      : `${(e as Error).message}`;
  }
}

const version = await nodeVersion();
if (typeof version === "string") console.log(`node test skipped: ${version}`);

Deno.test({
  name: "node: the bundled library trains the digits as Deno does, bit for bit, on one thread",
  ignore: typeof version === "string",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const bundle = await bundleLibrary(dir);
      const script = `
        import * as lib from ${JSON.stringify(bundle)};
        import { trainDigits } from ${
        JSON.stringify(new URL("./runtimes/train_digits.js", import.meta.url).href)
      };
        import { readFileSync } from "node:fs";
        const [train, test] = ["data/digits_train.csv", "data/digits_test.csv"]
          .map((p) => new Uint8Array(readFileSync(p)));
        const runs = [await trainDigits(lib, train, test), await trainDigits(lib, train, test, { threads: 2 })];
        console.log(JSON.stringify({ version: process.version, runs }));
      `;
      await Deno.writeTextFile(`${dir}/run.mjs`, script);
      const out = await new Deno.Command(NODE, { args: [`${dir}/run.mjs`] }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const { version, runs } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
        version: string;
        runs: DigitsRun[];
      };
      const [one, two] = runs;
      console.log(`node ${version}: ${one.kernels}, accuracy ${one.accuracy.toFixed(3)}`);
      assert.ok(one.accuracy >= 0.95, `accuracy ${one.accuracy}`);
      assert.equal(one.epochs, 15);
      assert.match(one.kernels, /^(wasm-relaxed-simd|wasm-simd|typescript)$/);
      // No Worker in Node: asked for two threads, the network runs on one and says so.
      assert.equal(two.kernels, one.kernels);
      assert.equal(two.digest, one.digest);
      const deno = await denoRun(one.kernels);
      assert.equal(one.digest, deno.digest, "Node's final parameters differ from Deno's");
      assert.equal(one.accuracy, deno.accuracy);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
