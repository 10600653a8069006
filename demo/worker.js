// The demo's worker: trains the digits (demo/model.js), posting each epoch's figures, then
// classifies the pixels the page sends. Training and prediction stay off the page's thread, and
// a worker may block in Atomics.wait, so the network's products may use two threads here.
import { classify, trainDigits } from "./model.js";

const library = import("./lib.js");
let network;

addEventListener("message", async ({ data }) => {
  try {
    const lib = await library;
    if (data.type === "train") {
      const [train, test] = await Promise.all(
        ["./digits_train.csv", "./digits_test.csv"].map(async (url) => {
          const response = await fetch(url);
          if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
          return new Uint8Array(await response.arrayBuffer());
        }),
      );
      const threads = crossOriginIsolated ? Math.min(2, navigator.hardwareConcurrency || 1) : 1;
      const started = performance.now();
      const trained = await trainDigits(lib, train, test, {
        threads,
        onEpoch: (e) => postMessage({ type: "epoch", event: e, kernels: network?.kernels }),
      });
      network = trained.network;
      const seconds = (performance.now() - started) / 1000;
      postMessage({ type: "trained", kernels: network.kernels, last: trained.last, seconds });
    } else if (data.type === "classify") {
      if (!network) return postMessage({ type: "error", message: "not trained yet" });
      postMessage({ type: "probabilities", id: data.id, p: classify(lib, network, data.pixels) });
    }
  } catch (error) {
    postMessage({ type: "error", message: String(error?.stack ?? error) });
  }
});
