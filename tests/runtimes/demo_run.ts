// Drives the demo page in headless Chromium for tests/demo_test.ts:
// `demo_run.ts ORIGIN SCREENSHOT.png PIXELS.json` opens the page `deno task demo` serves at ORIGIN,
// waits for training, has the page classify each image of PIXELS (rows of 64 intensities 0..16)
// through its drawing API, draws a "7" with the mouse, saves a screenshot and prints, as JSON,
// what the page showed. A child process with puppeteer's grants (see driver.ts).
import { launchChromium } from "./browser_run.ts";

const [origin, screenshot, pixelsFile] = Deno.args;
const images: number[][] = JSON.parse(await Deno.readTextFile(pixelsFile));

const chromium = await launchChromium();
try {
  const page = await chromium.browser.newPage();
  await page.setViewport({ width: 1000, height: 600, deviceScaleFactor: 1 });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  await page.goto(`${origin}/`);
  // The curves as each epoch arrives: how many epochs the page had drawn, sampled while training.
  const seen: number[] = [];
  const sampling = setInterval(async () => {
    try {
      seen.push(await page.evaluate("globalThis.demo?.history.length ?? 0") as number);
    } catch { /* the page is between states; the next sample counts */ }
  }, 20);
  const trained = await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const { kernels, last, history } = await (globalThis as any).demo.trained;
    return { kernels, last, epochs: history.length };
  });
  clearInterval(sampling);
  const classified = [];
  for (const pixels of images) {
    // deno-lint-ignore no-explicit-any
    classified.push(await page.evaluate((p) => (globalThis as any).demo.drawPixels(p), pixels));
  }
  // A "7" drawn with the mouse: the top bar, then the stroke down to the left.
  await page.click("#clear");
  const pad = (await page.$("#pad"))!;
  const box = (await pad.boundingBox())!;
  const to = (x: number, y: number) => page.mouse.move(box.x + x, box.y + y, { steps: 12 });
  await to(60, 50);
  await page.mouse.down();
  await to(200, 50);
  await to(110, 215);
  await page.mouse.up();
  // deno-lint-ignore no-explicit-any
  const drawn = await page.evaluate(() => (globalThis as any).demo.classify());
  const shown = await page.$eval("#predicted", (e) => e.textContent);
  await page.evaluate("scrollTo(0, 0)");
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ trained, seen, classified, drawn, shown, problems }));
} finally {
  await chromium.close();
}
