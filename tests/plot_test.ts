/**
 * Learning curves: the SVG is well-formed XML (parsed strictly by xmldom) with one path
 * per series holding one point per epoch, axes with ticks and labels, titles and legends.
 */

import assert from "node:assert/strict";
import { DOMParser, type Element } from "@xmldom/xmldom";
import { type CurvePoint, curvesSvg } from "../src/plot.ts";

/** The SVG's root element; any XML error or warning fails the test. */
function parse(svg: string): Element {
  const fail = (level: string, message: string) => {
    throw new Error(`${level}: ${message}`);
  };
  const doc = new DOMParser({ onError: fail }).parseFromString(svg, "image/svg+xml");
  return doc.documentElement!;
}

const all = (root: Element, tag: string) => Array.from(root.getElementsByTagName(tag));
const texts = (root: Element, className: string) =>
  all(root, "text").filter((t) => t.getAttribute("class") === className).map((t) => t.textContent);

/** Each series' path: its name and the number of points (move and line commands). */
function series(root: Element): Record<string, number> {
  return Object.fromEntries(
    all(root, "path").map((p) => [
      p.getAttribute("data-series"),
      p.getAttribute("d")!.match(/[ML]/g)!.length,
    ]),
  );
}

const history: CurvePoint[] = Array.from({ length: 7 }, (_, i) => ({
  epoch: i + 1,
  trainLoss: 1 / (i + 1),
  validationLoss: 1.2 / (i + 1),
  trainAccuracy: 0.5 + i / 20,
  validationAccuracy: 0.45 + i / 20,
}));

Deno.test("curvesSvg: two panels, four series with a point per epoch, axes, titles, legends", () => {
  const root = parse(curvesSvg(history));
  assert.equal(root.tagName, "svg");
  assert.equal(root.getAttribute("xmlns"), "http://www.w3.org/2000/svg");
  assert.equal(root.getAttribute("width"), "960");
  assert.deepEqual(series(root), {
    "train loss": 7,
    "validation loss": 7,
    "train accuracy": 7,
    "validation accuracy": 7,
  });
  assert.deepEqual(texts(root, "title"), ["Loss", "Accuracy"]);
  assert.deepEqual(texts(root, "axis-label"), ["epoch", "loss", "epoch", "accuracy"]);
  const legend = all(root, "g").filter((g) => g.getAttribute("class") === "legend-item");
  assert.deepEqual(
    legend.map((g) => g.textContent),
    ["train loss", "validation loss", "train accuracy", "validation accuracy"],
  );
});

Deno.test("curvesSvg: the x axis ticks whole epochs, the y axis round values", () => {
  const root = parse(curvesSvg(history));
  const ticks = (axis: string) =>
    all(root, "g").filter((g) => g.getAttribute("class") === `axis ${axis}`)
      .map((g) => all(g, "text").filter((t) => t.getAttribute("class") === null))
      .map((labels) => labels.map((t) => t.textContent));
  for (const labels of ticks("x-axis")) {
    assert.deepEqual(labels, ["1", "2", "3", "4", "5", "6", "7"]);
  }
  const [lossTicks] = ticks("y-axis");
  assert.ok(lossTicks.length >= 3);
  assert.ok(lossTicks.every((t) => /^\d(\.\d)?$/.test(t!)), lossTicks.join());
});

/** The y pixel of each point of a series' path. */
function ys(root: Element, name: string): number[] {
  const d = all(root, "path").find((p) => p.getAttribute("data-series") === name)!
    .getAttribute("d")!;
  return [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
}

Deno.test("curvesSvg: a validation loss rising after a steep first epoch is visible (log scale)", () => {
  // 2.0 → 0.10 in the first epochs, then a rise to 0.12: over-fitting that a linear axis
  // of 240 pixels draws as about 2 pixels.
  const rising = [2.0, 0.3, 0.12, 0.1, 0.105, 0.11, 0.12].map((validationLoss, i) => ({
    epoch: i + 1,
    trainLoss: validationLoss * 0.9,
    validationLoss,
  }));
  const y = ys(parse(curvesSvg(rising)), "validation loss");
  const rise = y[3] - y[6]; // pixels up from the minimum to the last epoch (SVG y grows down)
  assert.ok(rise >= 10, `the rise spans ${rise} pixels`);
});

Deno.test("curvesSvg: marks the best epoch (early stopping's, else the least validation loss)", () => {
  const mark = (h: CurvePoint[]) =>
    all(parse(curvesSvg(h)), "g").filter((g) => g.getAttribute("class") === "best")
      .map((g) => g.textContent);
  const dip = history.map((h) => ({ ...h, validationLoss: Math.abs(h.epoch - 3) + 1 }));
  assert.deepEqual(mark(dip), ["best epoch 3", "best epoch 3"]); // on both panels
  const flagged = dip.map((h) => ({ ...h, best: h.epoch <= 5 }));
  assert.deepEqual(mark(flagged), ["best epoch 5", "best epoch 5"]);
});

Deno.test("curvesSvg: the held-out curves are named for their data", () => {
  const root = parse(curvesSvg(history, { heldOut: "test" }));
  assert.deepEqual(Object.keys(series(root)), [
    "train loss",
    "test loss",
    "train accuracy",
    "test accuracy",
  ]);
});

Deno.test("curvesSvg: without accuracy there is one panel; without validation, one curve", () => {
  const root = parse(curvesSvg(history.map(({ epoch, trainLoss }) => ({ epoch, trainLoss }))));
  assert.equal(root.getAttribute("width"), "480");
  assert.deepEqual(series(root), { "train loss": 7 });
  assert.deepEqual(texts(root, "title"), ["Loss"]);
});

Deno.test("curvesSvg: a non-finite loss leaves a gap, and a lone point gets a dot", () => {
  const losses = [1, NaN, 0.5, 0.4, Infinity, 0.3];
  const root = parse(curvesSvg(losses.map((trainLoss, i) => ({ epoch: i + 1, trainLoss }))));
  const d = all(root, "path")[0].getAttribute("d")!;
  assert.equal(d.match(/M/g)!.length, 3); // [1], [0.5, 0.4], [0.3]
  assert.equal(d.match(/[ML]/g)!.length, 4);
  assert.equal(all(root, "circle").length, 2);
});

Deno.test("curvesSvg: a single epoch still draws, and no epochs is an error", () => {
  const root = parse(curvesSvg([{ epoch: 1, trainLoss: 0.5, validationAccuracy: 0.9 }]));
  assert.deepEqual(series(root), { "train loss": 1, "validation accuracy": 1 });
  assert.equal(all(root, "circle").length, 2);
  assert.throws(() => curvesSvg([]), /no epochs to plot/);
});
