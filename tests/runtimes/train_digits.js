// @ts-self-types="./train_digits.d.ts"
// The digits run that tests/node_test.ts and tests/browser_test.ts make in each runtime: the demo's
// training (demo/model.js), with the library handed in (mod.ts in Deno, its bundle elsewhere). It
// returns the validation accuracy, the kernels and a SHA-256 of the final parameters' bytes, which
// must be equal wherever the same kernels ran. (The browser test serves demo/model.js at the path
// this import reaches from the page's root.)
import { trainDigits as train } from "../../demo/model.js";

/** Trains on `train`, validates on `test`; `options`: `{ backend, threads }` of the network. */
export async function trainDigits(lib, trainBytes, testBytes, options = {}) {
  const { network, last } = await train(lib, trainBytes, testBytes, options);
  const parts = network.layers.flatMap(({ W, b }) => [W.data, b.data]);
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    all.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", all))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const kernels = network.kernels;
  network.close();
  return { accuracy: last.validationAccuracy, epochs: last.epoch, kernels, digest };
}
