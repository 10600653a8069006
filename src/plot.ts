/**
 * Learning curves as a standalone SVG image: loss, and accuracy when there is some, per
 * epoch, for training and validation data.
 *
 * A curve shows at a glance what a table of numbers hides: a validation loss that turns
 * up while the training loss keeps falling (over-fitting), a plateau (the rate is too
 * small), or noise (too large). The loss is drawn on a log scale when it spans more than a
 * factor of 3: the first epoch's drop from 2.0 to 0.1 no longer flattens a later rise from
 * 0.10 to 0.12 into one pixel. The best epoch is marked. The image is plain text, written
 * with no browser or DOM: `d3-scale` maps values to pixels and picks round ticks,
 * `d3-shape` draws the lines.
 *
 * @module
 */

// @ts-types="@types/d3-scale"
import { type ScaleContinuousNumeric, scaleLinear, scaleLog } from "d3-scale";
// @ts-types="@types/d3-shape"
import { line } from "d3-shape";

/**
 * One epoch's numbers, as {@linkcode curvesSvg} plots them; the optional ones may be
 * missing, and a non-finite value leaves a gap in its curve.
 *
 * @example
 * ```ts
 * import type { CurvePoint } from "@fullmatrix/backprop/plot";
 * const point: CurvePoint = { epoch: 1, trainLoss: 0.9, validationLoss: 1.1, validationAccuracy: 0.62 };
 * ```
 */
export interface CurvePoint {
  /** The epoch, from 1. */
  epoch: number;
  /** Mean training loss of the epoch. */
  trainLoss: number;
  /** Loss on the validation data. */
  validationLoss?: number;
  /** Accuracy on the training data, in [0, 1]. */
  trainAccuracy?: number;
  /** Accuracy on the validation data, in [0, 1]. */
  validationAccuracy?: number;
  /** Whether early stopping found this epoch the best so far (the last such is marked). */
  best?: boolean;
}

/**
 * How {@linkcode curvesSvg} names things.
 *
 * @example
 * ```ts
 * import type { CurvesOptions } from "@fullmatrix/backprop/plot";
 * const options: CurvesOptions = { heldOut: "test" };
 * ```
 */
export interface CurvesOptions {
  /** What the held-out data is, for the legend: `"validation"` (default) or e.g. `"test"`. */
  heldOut?: string;
}

type Metric = "trainLoss" | "validationLoss" | "trainAccuracy" | "validationAccuracy";
type Scale = ScaleContinuousNumeric<number, number>;

/** A loss spanning more than this factor is drawn on a log scale. */
const LOG_SPAN = 3;

/** A curve: which field it draws and how it looks. */
interface Series {
  metric: Metric;
  label: string;
  color: string;
  dashed: boolean;
}

/** A panel: its title, its y-axis label and its curves. */
interface Panel {
  title: string;
  unit: string;
  series: Series[];
}

const PANELS: Panel[] = [
  {
    title: "Loss",
    unit: "loss",
    series: [
      { metric: "trainLoss", label: "train loss", color: "#1f77b4", dashed: false },
      { metric: "validationLoss", label: "validation loss", color: "#ff7f0e", dashed: true },
    ],
  },
  {
    title: "Accuracy",
    unit: "accuracy",
    series: [
      { metric: "trainAccuracy", label: "train accuracy", color: "#1f77b4", dashed: false },
      {
        metric: "validationAccuracy",
        label: "validation accuracy",
        color: "#ff7f0e",
        dashed: true,
      },
    ],
  },
];

const WIDTH = 480, HEIGHT = 320;
const MARGIN = { top: 56, right: 16, bottom: 44, left: 60 };

/**
 * The learning curves of `history` as an SVG document: a loss panel, and an accuracy panel
 * beside it when any epoch has an accuracy. Each panel has a title, axes with ticks and
 * labels, one line per series present (training solid, validation dashed) and a legend.
 *
 * @example Write the curves of a run next to its model
 * ```ts
 * import assert from "node:assert/strict";
 * import { curvesSvg } from "@fullmatrix/backprop/plot";
 * const svg = curvesSvg([
 *   { epoch: 1, trainLoss: 1.2, validationLoss: 1.3, trainAccuracy: 0.55, validationAccuracy: 0.5 },
 *   { epoch: 2, trainLoss: 0.7, validationLoss: 0.9, trainAccuracy: 0.75, validationAccuracy: 0.7 },
 * ]);
 * assert.ok(svg.startsWith("<svg") && svg.includes("validation accuracy"));
 * assert.ok(svg.includes("best epoch 2"));
 * // await Deno.writeTextFile("out/curves.svg", svg);
 * ```
 */
export function curvesSvg(history: readonly CurvePoint[], options: CurvesOptions = {}): string {
  if (history.length === 0) throw new RangeError("curvesSvg: no epochs to plot");
  const heldOut = options.heldOut ?? "validation";
  const panels = PANELS.filter((panel, i) => i === 0 || present(history, panel).length > 0)
    .map((panel) => ({
      ...panel,
      series: panel.series.map((s) => ({ ...s, label: s.label.replace("validation", heldOut) })),
    }));
  const width = WIDTH * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" ` +
    `viewBox="0 0 ${width} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${HEIGHT}" fill="white"/>`,
    ...panels.map((panel, i) => panelSvg(history, panel, i * WIDTH, bestEpoch(history))),
    "</svg>\n",
  ].join("\n");
}

/** The series of `panel` with at least one finite value. */
function present(history: readonly CurvePoint[], panel: Panel): Series[] {
  return panel.series.filter((s) => history.some((h) => Number.isFinite(h[s.metric])));
}

function panelSvg(
  history: readonly CurvePoint[],
  panel: Panel,
  left: number,
  best: number | undefined,
): string {
  const series = present(history, panel);
  const values = series.flatMap((s) => history.map((h) => h[s.metric]!)).filter(Number.isFinite);
  const x = scaleLinear().domain(epochDomain(history))
    .range([MARGIN.left, WIDTH - MARGIN.right]);
  const y = valueScale(values, panel.unit === "loss").range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  return [
    `<g class="panel" data-panel="${panel.unit}" transform="translate(${left},0)">`,
    `<text class="title" x="${WIDTH / 2}" y="18" text-anchor="middle" ` +
    `font-size="14" font-weight="bold">${panel.title}</text>`,
    xAxis(x, y.range()[0]),
    yAxis(y, x.range()[0], panel.unit),
    ...(best === undefined ? [] : [bestMark(x, y, best)]),
    ...series.map((s) => curve(history, s, x, y)),
    legend(series),
    "</g>",
  ].join("\n");
}

/**
 * The best epoch: the last one early stopping called best, else the one with the least
 * validation loss, else the least training loss.
 */
function bestEpoch(history: readonly CurvePoint[]): number | undefined {
  const flagged = history.filter((h) => h.best).at(-1);
  if (flagged) return flagged.epoch;
  for (const metric of ["validationLoss", "trainLoss"] as const) {
    const finite = history.filter((h) => Number.isFinite(h[metric]));
    if (finite.length > 0) {
      return finite.reduce((a, b) => (b[metric]! < a[metric]! ? b : a)).epoch;
    }
  }
  return undefined;
}

/** A thin vertical line at the best epoch, labelled. */
function bestMark(x: Scale, y: Scale, epoch: number): string {
  const at = px(x(epoch)), [y0, y1] = y.range();
  return `<g class="best"><line x1="${at}" x2="${at}" y1="${y0}" y2="${y1}" stroke="#2ca02c" ` +
    `stroke-width="1" stroke-dasharray="2 3"/><text x="${at + 4}" y="${y1 + 10}" ` +
    `fill="#2ca02c">best epoch ${epoch}</text></g>`;
}

/** A log scale for a loss spanning more than {@linkcode LOG_SPAN}, else a linear one. */
function valueScale(values: number[], loss: boolean): Scale {
  const [lo, hi] = valueDomain(values);
  // Not nice(): on a log scale it widens to whole powers of ten (1.2 would become 10).
  if (loss && lo > 0 && hi / lo > LOG_SPAN) return scaleLog().domain([lo, hi]);
  return scaleLinear().domain([lo, hi]).nice();
}

/** The first to the last epoch; one epoch gets half an epoch of room on both sides. */
function epochDomain(history: readonly CurvePoint[]): [number, number] {
  const epochs = history.map((h) => h.epoch);
  const lo = Math.min(...epochs), hi = Math.max(...epochs);
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** The range of the values, widened when flat so that the line sits mid-panel. */
function valueDomain(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  const lo = Math.min(...values), hi = Math.max(...values);
  if (lo !== hi) return [lo, hi];
  const pad = Math.abs(lo) / 10 || 1;
  return [lo - pad, hi + pad];
}

function curve(
  history: readonly CurvePoint[],
  { metric, label, color, dashed }: Series,
  x: Scale,
  y: Scale,
): string {
  const defined = (h: CurvePoint | undefined) => h !== undefined && Number.isFinite(h[metric]);
  const path = line<CurvePoint>().defined(defined).x((h) => x(h.epoch)).y((h) => y(h[metric]!));
  // A point with no defined neighbour is a line of length zero, invisible: it gets a dot.
  const lone = history.filter((h, i) =>
    defined(h) && !defined(history[i - 1]) && !defined(history[i + 1])
  );
  return [
    `<path class="series" data-series="${label}" d="${path(history)}" fill="none" ` +
    `stroke="${color}" stroke-width="2" stroke-linejoin="round"${dash(dashed)}/>`,
    ...lone.map((h) => {
      const cx = px(x(h.epoch)), cy = px(y(h[metric]!));
      return `<circle class="point" data-series="${label}" cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`;
    }),
  ].join("\n");
}

function dash(dashed: boolean): string {
  return dashed ? ' stroke-dasharray="6 4"' : "";
}

/** Pixels to a tenth: finer is invisible and only makes the file longer. */
function px(v: number): number {
  return Math.round(v * 10) / 10;
}

function xAxis(x: Scale, y0: number): string {
  const [lo, hi] = x.domain();
  // Epochs are whole numbers: fractional ticks would name epochs that do not exist.
  const ticks = x.ticks(Math.min(10, hi - lo)).filter(Number.isInteger).map((t) => [t, px(x(t))]);
  const [x0, x1] = x.range();
  return [
    `<g class="axis x-axis">`,
    `<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="black"/>`,
    ...ticks.map(([t, at]) =>
      `<g class="tick"><line x1="${at}" x2="${at}" y1="${y0}" y2="${y0 + 5}" stroke="black"/>` +
      `<text x="${at}" y="${y0 + 17}" text-anchor="middle">${t}</text></g>`
    ),
    `<text class="axis-label" x="${(x0 + x1) / 2}" y="${HEIGHT - 8}" ` +
    `text-anchor="middle">epoch</text>`,
    `</g>`,
  ].join("\n");
}

function yAxis(y: Scale, x0: number, unit: string): string {
  // A log scale's ticks include every minor one (1, 2, …, 9 × 10^k): keep 1, 2 and 5 then.
  let values = y.ticks(6);
  if (values.length > 8) values = values.filter((t) => /^[125]/.test(t.toExponential()));
  const ticks = values.map((t) => [String(Number(t.toPrecision(3))), px(y(t))]);
  const [y0, y1] = y.range();
  const middle = (y0 + y1) / 2;
  return [
    `<g class="axis y-axis">`,
    `<line x1="${x0}" x2="${x0}" y1="${y0}" y2="${y1}" stroke="black"/>`,
    ...ticks.map(([text, at]) =>
      `<g class="tick"><line x1="${x0 - 5}" x2="${x0}" y1="${at}" y2="${at}" stroke="black"/>` +
      `<text x="${x0 - 8}" y="${at}" dy="0.32em" text-anchor="end">${text}</text></g>`
    ),
    `<text class="axis-label" transform="translate(14,${middle}) rotate(-90)" ` +
    `text-anchor="middle">${unit}</text>`,
    `</g>`,
  ].join("\n");
}

/** A sample of each line with its name, in a row under the title, clear of the lines. */
function legend(series: Series[]): string {
  const y = 36;
  return [
    `<g class="legend">`,
    ...series.map(({ label, color, dashed }, i) => {
      const x0 = MARGIN.left + 170 * i;
      return `<g class="legend-item"><line x1="${x0}" x2="${x0 + 24}" y1="${y}" y2="${y}" ` +
        `stroke="${color}" stroke-width="2"${dash(dashed)}/>` +
        `<text x="${x0 + 30}" y="${y}" dy="0.32em">${label}</text></g>`;
    }),
    `</g>`,
  ].join("\n");
}
