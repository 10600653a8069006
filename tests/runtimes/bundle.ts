/**
 * What the Node and browser tests share: the library bundled into one ES module
 * (`deno bundle`, as a user's bundler would), and the digits run in Deno on a
 * given backend, whose parameters the other runtimes must match bit for bit.
 */

import assert from "node:assert/strict";
import * as lib from "../../mod.ts";
import type { BackendName } from "../../mod.ts";
import { trainDigits } from "./train_digits.js";

/** What `train_digits.js` returns. */
export interface DigitsRun {
  accuracy: number;
  epochs: number;
  kernels: string;
  digest: string;
}

/** Bundles `mod.ts` for the browser platform (plain ES, no Deno API) into `dir`; returns its path. */
export async function bundleLibrary(dir: string): Promise<string> {
  const path = `${dir}/backprop.js`;
  const out = await new Deno.Command("deno", {
    args: ["bundle", "--quiet", "--platform", "browser", "--output", path, "mod.ts"],
    cwd: new URL("../..", import.meta.url),
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return path;
}

/** The backend whose kernels print as `kernels` (threads aside). */
export function backendOf(kernels: string): BackendName {
  const base = kernels.split(" ")[0];
  const names: Record<string, BackendName> = {
    "wasm-relaxed-simd": "wasm",
    "wasm-simd": "wasm-simd",
    typescript: "typescript",
  };
  assert.ok(base in names, `unknown kernels ${kernels}`);
  return names[base];
}

/** The digits run in this Deno process, on the backend that printed `kernels`, one thread. */
export async function denoRun(kernels: string): Promise<DigitsRun> {
  const [train, test] = await Promise.all(
    ["data/digits_train.csv", "data/digits_test.csv"].map((p) => Deno.readFile(p)),
  );
  const run = await trainDigits(lib, train, test, { backend: backendOf(kernels) });
  assert.equal(run.kernels, kernels.split(" ")[0]);
  return run;
}
