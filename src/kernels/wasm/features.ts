/**
 * Which WebAssembly SIMD extensions the engine accepts.
 *
 * Asking `WebAssembly.validate` about a one-instruction module is exact and
 * costs microseconds, where sniffing the engine or its version would guess.
 * Relaxed SIMD adds fused multiply-add (`f32x4.relaxed_madd`), worth about a
 * quarter more speed in the matrix product; plain SIMD is the fallback, and an
 * engine with neither leaves the caller on the TypeScript kernels.
 *
 * @module
 */

import { Code, encodeModule } from "./encoder.ts";

/** The SIMD level the kernels are built for: with relaxed SIMD's fused multiply-add, or without. */
export type WasmFeatures = "relaxed-simd" | "simd";

/** Whether a module with one function holding `body` (leaving nothing on the stack) validates. */
function accepts(body: (c: Code) => Code): boolean {
  const code = body(new Code([]));
  return WebAssembly.validate(encodeModule([{ name: "probe", params: [], code }], false));
}

/**
 * The best SIMD level this engine accepts, or `undefined` without WebAssembly or SIMD.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectFeatures } from "./features.ts";
 * assert.ok(["relaxed-simd", "simd", undefined].includes(detectFeatures()));
 * ```
 */
export function detectFeatures(): WasmFeatures | undefined {
  if (typeof WebAssembly !== "object") return undefined;
  const drop = 0x1a, relaxedMadd = 0x105;
  const relaxed = (c: Code) => c.v128Zero().v128Zero().v128Zero().simd(relaxedMadd).op(drop);
  if (accepts(relaxed)) return "relaxed-simd";
  if (accepts((c) => c.v128Zero().op(drop))) return "simd";
  return undefined;
}
