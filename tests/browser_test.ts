/**
 * The bundled library in headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core): the digits train to ≥ 0.95 on the main thread and in a
 * module Worker asked for two threads, and end with the parameters of Deno's
 * run on the same kernels, bit for bit. Served from 127.0.0.1 twice: with
 * cross-origin isolation (COOP/COEP), where the worker runs two threads; and
 * without, where there is no `SharedArrayBuffer` and every network runs on one
 * thread (as `kernels` says) instead of failing. The main thread may never
 * block in `Atomics.wait`, so it runs on one thread either way.
 *
 * Without /usr/bin/chromium the test says it was skipped and why.
 */

import assert from "node:assert/strict";
import { bundleLibrary, denoRun, type DigitsRun } from "./runtimes/bundle.ts";
import { drive } from "./runtimes/driver.ts";

const DRIVER = "tests/runtimes/browser_run.ts";
const { missing } = await drive(DRIVER, ["--probe"]) as { missing: string | null };
if (missing) console.log(`browser test skipped: ${missing}`);

interface PageResults {
  isolated: boolean;
  sharedArrayBuffer: boolean;
  main: DigitsRun;
  worker: DigitsRun;
  problems: string[];
  error?: string;
}

Deno.test({
  name: "browser: the bundle trains the digits in Chromium as Deno does, main thread and worker",
  ignore: missing !== null,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const out = await drive(DRIVER, [await bundleLibrary(dir)]);
      const isolated = out.isolated as PageResults, plain = out.plain as PageResults;
      for (const page of [isolated, plain]) {
        assert.equal(page.error, undefined, page.error);
        assert.deepEqual(page.problems, []);
      }
      const deno = await denoRun(isolated.main.kernels);
      console.log(
        `${out.version}: ${isolated.main.kernels}, accuracy ${isolated.main.accuracy.toFixed(3)}`,
      );

      assert.ok(isolated.isolated && isolated.sharedArrayBuffer);
      assert.ok(isolated.main.accuracy >= 0.95, `accuracy ${isolated.main.accuracy}`);
      assert.doesNotMatch(isolated.main.kernels, /threads/); // no Atomics.wait on the main thread
      assert.match(isolated.worker.kernels, / ×2 threads$/);

      assert.ok(!plain.isolated && !plain.sharedArrayBuffer);
      assert.doesNotMatch(plain.worker.kernels, /threads/); // no SharedArrayBuffer: one thread

      for (const run of [isolated.main, isolated.worker, plain.main, plain.worker]) {
        assert.equal(run.epochs, 15);
        assert.equal(run.digest, deno.digest, `${run.kernels}: parameters differ from Deno's`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
