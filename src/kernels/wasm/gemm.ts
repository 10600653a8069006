/**
 * The matrix product as WebAssembly functions, generated for one precision.
 *
 * One strided product serves the three of backprop, as in `ts_gemm.ts`:
 * `C(m×n) = A·B` with `A(i,p)` at `pa + i·sai + p·sap` and `B(p,j)` at
 * `pb + p·sbp + j·sbj` (byte strides), `C` row-major with rows `ldc` bytes
 * apart. `W·A`, `Wᵀ·δ` and `δ·Aᵀ` only pass other strides; nothing is
 * transposed in memory. The row stride of `C` is a parameter so that a band of
 * columns of a wider `C` is a product too: threads can split `C` either way.
 *
 * The work is done by register-blocked *tiles*. A tile keeps `rows × vectors`
 * running sums of `C` in registers while `p` runs over the shared dimension;
 * each step loads `vectors` vectors of a row of `B` and, for each row of the
 * tile, one element of `A` splatted to all lanes (`v128.load32_splat`), then
 * does `rows × vectors` multiply-adds. The main tile is 6 rows × 2 vectors
 * (6×8 in float32, 6×4 in float64): twelve sums, two `B` vectors and one splat
 * fill fifteen of the sixteen SIMD registers of x64, and each step costs eight
 * loads for twelve multiply-adds. That ratio matters more than usual because
 * Deno runs wasm without a trap handler, so V8 bounds-checks every load with a
 * compare and branch; a 4×8 tile (six loads for eight) measured up to 15% slower.
 * Shorter tiles (4, 2, 1 rows) finish the bottom rows, narrower ones (one
 * vector, then scalars) the right columns, so any `m, n, k` is exact.
 *
 * A tile needs the `B` row segment `B(p, j..j+W)` contiguous. That holds for
 * `W·A` and `Wᵀ·δ` (`sbj` is one element); for `δ·Aᵀ` the driver first copies
 * the `W` columns of the panel into a scratch buffer, row after row, and the
 * tiles of every row block run on the copy. Packing costs `W·k` copies against
 * `m·W·k` multiply-adds; it needs `2·16·k` bytes of scratch, which the caller
 * provides (and splits `k` to fit).
 *
 * @module
 */

import { Code, type Func, I32, i32s, ValType } from "./encoder.ts";
import type { Kind, Precision } from "./precision.ts";

/** Tile heights: full tiles of 6 rows, then shorter ones for the rows left at the bottom. */
const TILE_HEIGHTS = [6, 4, 2, 1];
/**
 * Steps of `p` per loop turn. Each turn costs a branch and V8's interrupt
 * check on the back-edge; four steps a turn measured 20–30% faster than one.
 */
const UNROLL = 4;
/** Vectors of `C` columns in a full-width tile. */
const TILE_VECTORS = 2;

/** Bytes of scratch the product needs per unit of `k` when `B` must be packed: one full-width panel row. */
export const PACK_BYTES_PER_K: number = TILE_VECTORS * 16;

/**
 * A tile `(pa, sai, sap, pb, sbp, pc, ldc, k, acc)`: the `rows × (vectors·width)`
 * block of `C` at `pc` (row stride `ldc` bytes) becomes `A·B`, or `C + A·B`
 * when `acc` is non-zero. `B` rows are read at `pb`, `pb + sbp`, … and must be
 * contiguous across the block.
 */
function tile(kind: Kind, rows: number, vectors: number): Code {
  const c = new Code(i32s(9));
  const [pa, sai, sap, pb, sbp, pc, ldc, k, acc] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const aRow = [pa, ...i32s(rows - 1).map((t) => c.local(t))];
  const sums = aRow.map(() => i32s(vectors).map(() => c.local(kind.type)));
  const b = i32s(vectors).map(() => c.local(kind.type));
  const a = c.local(kind.type), cRow = c.local(ValType.i32);
  const eachC = (emit: (sum: number, offset: number) => void) => {
    c.get(pc).set(cRow);
    sums.forEach((row) => {
      row.forEach((sum, v) => emit(sum, v * kind.bytes));
      c.advance(cRow, ldc);
    });
  };

  for (let r = 1; r < rows; r++) c.get(aRow[r - 1]).get(sai).op(I32.add).set(aRow[r]);
  for (const sum of sums.flat()) kind.zero(c).set(sum);
  c.get(acc).if(() => eachC((sum, offset) => kind.load(c.get(cRow), offset).set(sum)));
  const step = () => {
    b.forEach((bv, v) => kind.load(c.get(pb), v * kind.bytes).set(bv));
    c.advance(pb, sbp);
    aRow.forEach((ptr, r) => {
      kind.loadSplat(c.get(ptr)).set(a).advance(ptr, sap);
      b.forEach((bv, v) => kind.madd(c, a, bv, sums[r][v]));
    });
  };
  const steps = (count: number) =>
    c.while(() => c.get(k).i32(count).op(I32.geU), () => {
      for (let u = 0; u < count; u++) step();
      c.get(k).i32(count).op(I32.sub).set(k);
    });
  steps(UNROLL);
  steps(1);
  eachC((sum, offset) => kind.store(c.get(cRow).get(sum), offset));
  return c;
}

/**
 * `pack(dst, src, sbp, sbj, w, k)`: `dst[p·w + j] = B(p, j)` for `j < w`, `p < k`,
 * element by element: the copy is reused by every row block, so it need not be fast.
 */
function pack(scalar: Kind): Code {
  const c = new Code(i32s(6));
  const [dst, src, sbp, sbj, w, k] = [0, 1, 2, 3, 4, 5];
  const from = c.local(ValType.i32), left = c.local(ValType.i32);
  c.while(() => c.get(k), () => {
    c.get(src).set(from).get(w).set(left);
    c.while(() => c.get(left), () => {
      scalar.store(scalar.load(c.get(dst).get(from)));
      c.advance(dst, scalar.bytes, true).advance(from, sbj);
      c.get(left).i32(1).op(I32.sub).set(left);
    });
    c.advance(src, sbp).get(k).i32(1).op(I32.sub).set(k);
  });
  return c;
}

/** A tile width: its kind and how many values of it a row of the tile holds. */
interface Width {
  kind: Kind;
  vectors: number;
  /** Function index of its tile of each height in {@linkcode TILE_HEIGHTS}. */
  tiles: number[];
}

/**
 * `gemm(m, n, k, pa, sai, sap, pb, sbp, sbj, pc, ldc, acc, scratch)`: the driver.
 * Column panels of the widest tile that fits, then narrower ones; in each
 * panel, the tallest tiles that fit, then shorter ones.
 */
function driver(p: Precision, widths: readonly Width[], packIndex: number): Code {
  const c = new Code(i32s(13));
  const [m, n, k, pa, sai, sap, pb, sbp, sbj, pc, ldc, acc, scratch] = i32s(13).map((_, i) => i);
  const [j, i, ap, bp, bStep, cp] = i32s(6).map((t) => c.local(t));

  const tiles = (tileIndex: number, rows: number) =>
    c.while(() => c.get(i).i32(rows).op(I32.add).get(m).op(I32.leU), () => {
      c.get(ap).get(sai).get(sap).get(bp).get(bStep).get(cp).get(ldc).get(k).get(acc);
      c.call(tileIndex);
      for (let r = 0; r < rows; r++) c.advance(ap, sai).advance(cp, ldc);
      c.advance(i, rows, true);
    });

  for (const { kind, vectors, tiles: indices } of widths) {
    const w = kind.width * vectors;
    c.while(() => c.get(j).i32(w).op(I32.add).get(n).op(I32.leU), () => {
      c.get(pb).get(j).get(sbj).op(I32.mul, I32.add).set(bp).get(sbp).set(bStep);
      if (kind.width > 1) {
        c.get(sbj).i32(p.bytes).op(I32.ne).if(() => {
          c.get(scratch).get(bp).get(sbp).get(sbj).i32(w).get(k).call(packIndex);
          c.get(scratch).set(bp).i32(w * p.bytes).set(bStep);
        });
      }
      c.i32(0).set(i).get(pa).set(ap).get(pc).get(j).i32(p.bytes).op(I32.mul, I32.add).set(cp);
      TILE_HEIGHTS.forEach((rows, h) => tiles(indices[h], rows));
      c.advance(j, w, true);
    });
  }
  return c;
}

/**
 * The product's functions for precision `p`, to be placed in a module from
 * function index `base` on (the driver calls the others by index). The one to
 * call is `gemm_f32` / `gemm_f64`:
 * `(m, n, k, pa, sai, sap, pb, sbp, sbj, pc, ldc, acc, scratch)`, pointers and
 * strides in bytes; `scratch` must hold {@linkcode PACK_BYTES_PER_K}`·k` bytes
 * whenever `sbj` is not one element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeModule } from "./encoder.ts";
 * import { gemmFuncs } from "./gemm.ts";
 * import { precision } from "./precision.ts";
 * const bytes = encodeModule(gemmFuncs(precision("float32", false), 0), false);
 * assert.ok(WebAssembly.validate(bytes));
 * ```
 */
export function gemmFuncs(p: Precision, base: number): Func[] {
  const suffix = p.dtype === "float64" ? "f64" : "f32";
  const shapes = [
    { kind: p.vector, vectors: TILE_VECTORS },
    { kind: p.vector, vectors: 1 },
    { kind: p.scalar, vectors: 1 },
  ];
  const funcs: Func[] = [];
  const add = (name: string, code: Code, params: number) => {
    funcs.push({ name: `${name}_${suffix}`, params: i32s(params), code });
    return base + funcs.length - 1;
  };
  const widths = shapes.map(({ kind, vectors }) => {
    const w = kind.width * vectors;
    const tiles = TILE_HEIGHTS.map((rows) => add(`tile${rows}x${w}`, tile(kind, rows, vectors), 9));
    return { kind, vectors, tiles };
  });
  const packIndex = add("pack", pack(p.scalar), 6);
  add("gemm", driver(p, widths, packIndex), 13);
  return funcs;
}
