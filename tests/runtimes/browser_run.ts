// Drives headless Chromium for tests/browser_test.ts: `browser_run.ts BUNDLE.js` serves the page
// of this folder (with and without cross-origin isolation) on 127.0.0.1, opens each in Chromium
// through puppeteer-core, and prints as JSON what the page found, or why it was skipped. A child
// process, so that only it holds the grants puppeteer needs (it reads the whole environment).
import puppeteer from "puppeteer-core";
import { serveStatic } from "../../demo/static.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Why Chromium cannot be driven here, or `undefined` when it can. */
export async function chromiumMissing(): Promise<string | undefined> {
  try {
    await Deno.stat(CHROMIUM);
    return undefined;
  } catch {
    return `${CHROMIUM} is missing (apt-get install chromium)`;
  }
}

const here = (name: string) => new URL(name, import.meta.url).pathname;
const files = {
  "/index.html": here("page.html"),
  "/page.js": here("page.js"),
  "/worker.js": here("worker.js"),
  "/train_digits.js": here("train_digits.js"),
  "/demo/model.js": "demo/model.js",
  "/lib.js": Deno.args[0],
  "/digits_train.csv": "data/digits_train.csv",
  "/digits_test.csv": "data/digits_test.csv",
};

/** Launches Chromium as the project's CI runs it: headless, no sandbox, nothing fetched. */
export async function launchChromium() {
  const userDataDir = await Deno.makeTempDir({ prefix: "backprop-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${userDataDir}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      await Deno.remove(userDataDir, { recursive: true });
    },
  };
}

if (import.meta.main && Deno.args[0] === "--probe") {
  console.log(JSON.stringify({ missing: await chromiumMissing() ?? null }));
} else if (import.meta.main) {
  const chromium = await launchChromium();
  const out: Record<string, unknown> = { version: await chromium.browser.version() };
  try {
    for (const isolated of [true, false]) {
      const { server, origin } = serveStatic(files, { isolated });
      const page = await chromium.browser.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(String(e)));
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      await page.goto(`${origin}/`);
      // An uncaught error on the page fails at once, not after the wait's timeout.
      const failed = new Promise<never>((_, reject) => page.on("pageerror", reject));
      await Promise.race([
        page.waitForFunction("globalThis.results !== undefined", { timeout: 120_000 }),
        failed,
      ]);
      const results = await page.evaluate("globalThis.results") as Record<string, unknown>;
      out[isolated ? "isolated" : "plain"] = { ...results, problems };
      await page.close();
      await server.shutdown();
    }
  } finally {
    await chromium.close();
  }
  console.log(JSON.stringify(out));
}
