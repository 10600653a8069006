/**
 * Numbers straight from CSV bytes, without making a string: integers and short decimals are
 * exact in doubles, so `m / 10^k` rounds once, as `Number(text)` does; other texts go to
 * `Number` itself.
 *
 * @module
 */

import type { DType } from "../../kernels/types.ts";
import { DOT, MINUS, PLUS, SPACE } from "./_tokenizer.ts";

/** Powers of ten a double holds exactly: the fast path is exact only with these. */
export const POW10: Float64Array = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

const decoder = new TextDecoder();

/**
 * The number `buf[start, end)` holds with its padding (spaces and the byte `pad`) around it, or
 * NaN when the whole range is not one finite number of `dtype` (`[+-]digits[.digits][e[+-]digits]`,
 * `.5` and `5.` included).
 */
export function parseNumber(
  buf: Uint8Array,
  start: number,
  end: number,
  pad: number,
  dtype: DType,
): number {
  while (start < end && (buf[start] === SPACE || buf[start] === pad)) start++;
  while (end > start && (buf[end - 1] === SPACE || buf[end - 1] === pad)) end--;
  let p = start;
  const sign = buf[p];
  if (sign === MINUS || sign === PLUS) p++;
  let m = 0, digits = 0, fraction = 0;
  for (; p < end; p++, digits++) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) break;
    m = m * 10 + d;
  }
  if (p < end && buf[p] === DOT) {
    for (p++; p < end; p++, fraction++) {
      const d = buf[p] - 48;
      if (d < 0 || d > 9) break;
      m = m * 10 + d;
    }
  }
  if (digits + fraction === 0) return NaN;
  let exponent = 0;
  if (p < end && (buf[p] | 32) === 101) {
    const negative = buf[p + 1] === MINUS;
    p += negative || buf[p + 1] === PLUS ? 2 : 1;
    const first = p;
    for (; p < end; p++) {
      const d = buf[p] - 48;
      if (d < 0 || d > 9) break;
      if (exponent < 1e6) exponent = exponent * 10 + d; // beyond, the value is 0 or infinite anyway
    }
    if (p === first) return NaN;
    if (negative) exponent = -exponent;
  }
  if (p !== end) return NaN;
  const k = exponent - fraction;
  if (m <= Number.MAX_SAFE_INTEGER && k >= -22 && k <= 22) {
    const v = k < 0 ? m / POW10[-k] : m * POW10[k];
    return sign === MINUS ? -v : v;
  }
  const v = Number(decoder.decode(buf.subarray(start, end)));
  // A number beyond float32's range would be stored as ±Infinity: refuse it like "1e999".
  return isFinite(dtype === "float32" ? Math.fround(v) : v) ? v : NaN;
}
