// The browser test's page: trains the digits on the main thread, then in a module Worker with
// two threads, and leaves the results (or the error) in `globalThis.results` for the test to read.
import { trainDigits } from "./train_digits.js";

async function bytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Runs the digits in a Worker and resolves with what it posts back. */
function inWorker(train, test, options) {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data));
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage({ train, test, options });
  }).finally(() => worker.terminate());
}

try {
  // The bundle exists only on the test's server, so it is imported by URL, not by a path to check.
  const lib = await import(new URL("./lib.js", import.meta.url).href);
  const [train, test] = await Promise.all([
    bytes("./digits_train.csv"),
    bytes("./digits_test.csv"),
  ]);
  // The main thread may not block in Atomics.wait: two threads asked for, one runs.
  const main = await trainDigits(lib, train, test, { threads: 2 });
  const worker = await inWorker(train, test, { threads: 2 });
  globalThis.results = {
    isolated: globalThis.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer === "function",
    main,
    worker,
  };
} catch (error) {
  globalThis.results = { error: String(error?.stack ?? error) };
}
