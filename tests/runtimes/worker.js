// The browser test's worker: trains the digits with the options it is sent and posts the result.
import { trainDigits } from "./train_digits.js";

// The bundle exists only on the test's server, so it is imported by URL, not by a path to check.
// Inside the handler: a listener added after a top-level await could miss the first message.
const library = import(new URL("./lib.js", import.meta.url).href);

addEventListener("message", async ({ data: { train, test, options } }) => {
  try {
    postMessage(await trainDigits(await library, train, test, options));
  } catch (error) {
    postMessage({ error: String(error?.stack ?? error) });
  }
});
