/**
 * # @fullmatrix/backprop/plot
 *
 * Learning curves as a standalone SVG image. A subpath of its own because it
 * draws with `d3-scale` and `d3-shape` (npm): the root export depends on no
 * npm package, and only a program that plots pulls them in.
 *
 * @example Plot two epochs
 * ```ts
 * import assert from "node:assert/strict";
 * import { curvesSvg } from "@fullmatrix/backprop/plot";
 * const svg = curvesSvg([{ epoch: 1, trainLoss: 0.9 }, { epoch: 2, trainLoss: 0.5 }]);
 * assert.match(svg, /^<svg/);
 * ```
 *
 * @module
 */

export { type CurvePoint, type CurvesOptions, curvesSvg } from "./src/plot.ts";
