/**
 * A stream stage that rescales features, e.g. pixels 0..255 into [0, 1].
 *
 * @module
 */

import type { Sample } from "./sample.ts";

/**
 * Multiplies every feature by `factor`; targets pass unchanged. The scaled
 * features are new storage, so the source's buffers are left as they were.
 *
 * @example
 * ```ts
 * import { scaleFeatures } from "@fullmatrix/backprop";
 * const s = { x: new Float32Array([0, 8, 16]), y: new Float32Array([1]) };
 * const [out] = await Array.fromAsync(ReadableStream.from([s]).pipeThrough(scaleFeatures(1 / 16)));
 * console.assert(out.x[2] === 1);
 * ```
 */
export function scaleFeatures(factor: number): TransformStream<Sample, Sample> {
  return new TransformStream({
    transform({ x, y }, controller) {
      const scaled = x.slice();
      for (let i = 0; i < scaled.length; i++) scaled[i] *= factor;
      controller.enqueue({ x: scaled, y });
    },
  });
}
