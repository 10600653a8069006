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
  assert.ok(lossTicks.every((t) => /^\d\.\d$/.test(t!)), lossTicks.join());
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
