/**
 * The demo page, as `deno task demo` serves it, in headless Chromium: its
 * worker trains the digits to ≥ 0.95 while the page draws the curves epoch by
 * epoch; test-set images drawn through the page's drawing API are classified
 * exactly as the same model, trained the same way, classifies them in Deno;
 * a digit drawn with the mouse gets a prediction and its probabilities; and
 * the page renders (a screenshot is saved). Without /usr/bin/chromium the test
 * says it was skipped and why.
 */

import assert from "node:assert/strict";
import * as lib from "../mod.ts";
import { classify, trainDigits } from "../demo/model.js";
import { backendOf } from "./runtimes/bundle.ts";
import { drive } from "./runtimes/driver.ts";

const { missing } = await drive("tests/runtimes/browser_run.ts", ["--probe"]) as {
  missing: string | null;
};
if (missing) console.log(`demo test skipped: ${missing}`);

/** The first `count` images of the test set, as 64 raw intensities each. */
async function testImages(count: number): Promise<number[][]> {
  const lines = (await Deno.readTextFile("data/digits_test.csv")).trim().split("\n").slice(1);
  return lines.slice(0, count).map((line) => line.split(",").slice(0, 64).map(Number));
}

interface Classified {
  predicted: number;
  probabilities: number[];
  pixels: number[];
}

Deno.test({
  name: "demo: trains in a worker with live curves, classifies drawn digits as Deno does",
  ignore: missing !== null,
  async fn() {
    const dir = await Deno.makeTempDir();
    const server = new Deno.Command("deno", {
      args: ["task", "--quiet", "demo", "--port", "0"],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      const origin = text.match(/^demo: (http:\/\/127\.0\.0\.1:\d+)\//)?.[1];
      assert.ok(origin, `the demo printed ${JSON.stringify(text)}`);
      const images = await testImages(6);
      await Deno.writeTextFile(`${dir}/pixels.json`, JSON.stringify(images));
      const out = await drive("tests/runtimes/demo_run.ts", [
        origin,
        `${dir}/demo.png`,
        `${dir}/pixels.json`,
      ]) as {
        trained: { kernels: string; last: lib.EpochEvent; epochs: number };
        seen: number[];
        classified: Classified[];
        drawn: Classified;
        shown: string;
        problems: string[];
      };
      assert.deepEqual(out.problems, []);
      const { trained } = out;
      console.log(
        `demo: ${trained.kernels}, accuracy ${trained.last.validationAccuracy!.toFixed(3)}`,
      );
      assert.equal(trained.epochs, 15);
      assert.ok(trained.last.validationAccuracy! >= 0.95);
      // Live: while it trained, the page had some epochs drawn and not yet all.
      assert.ok(out.seen.some((n) => n > 0 && n < 15), `epochs seen: ${out.seen.join(",")}`);

      // The same model in Deno, on the kernels the page used, classifies the same pixels.
      const read = (p: string) => Deno.readFile(p);
      const { network } = await trainDigits(
        lib,
        await read("data/digits_train.csv"),
        await read("data/digits_test.csv"),
        { backend: backendOf(trained.kernels) },
      );
      out.classified.forEach((got, i) => {
        assert.deepEqual(got.pixels, images[i], "the pad gives back the pixels it was drawn with");
        const want = classify(lib, network, images[i]);
        assert.deepEqual(got.probabilities, want);
        assert.equal(got.predicted, want.indexOf(Math.max(...want)));
      });
      assert.ok(new Set(out.classified.map((c) => c.predicted)).size > 1);

      // The mouse-drawn digit: ink on the pad, a prediction shown with probabilities summing to 1.
      assert.ok(out.drawn.pixels.some((v) => v > 8));
      assert.equal(out.shown, String(out.drawn.predicted));
      assert.ok(Math.abs(out.drawn.probabilities.reduce((a, b) => a + b) - 1) < 1e-5);
      assert.deepEqual(out.drawn.probabilities, classify(lib, network, out.drawn.pixels));
      network.close();

      const png = await Deno.readFile(`${dir}/demo.png`);
      assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    } finally {
      server.kill("SIGTERM");
      await server.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
