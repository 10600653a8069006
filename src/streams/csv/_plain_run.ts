/**
 * The CSV parser's fast path as a WebAssembly kernel: runs of plain numbers (`[-]digits[.digits]`,
 * 1 to 15 digits) in feature columns, field after field, until a field it cannot take.
 *
 * The byte loop in script that did this spent three quarters of the parse of Fashion-MNIST's CSV
 * (a profile, about 9 ns a field), mostly in its exit branch, mispredicted at the end of every
 * field of one to three digits. The kernel reads eight bytes at a field's start as one i64 and
 * counts its digits without a branch (see `shortIntegers`); when one to eight digits are
 * followed by the delimiter, they are converted at once by three multiplies
 * (`joinDigits`). Any other field (a sign, a point, nine digits or more, the end of the
 * bytes) goes to a byte loop with the script loop's rules, so that the values, and the field a
 * run stops at, are what they were: the parser's `#field` takes over there.
 *
 * The kernel alone, on a quarter MiB of that CSV: 4.6 ns a field with one field per load, 3.3
 * with two (the load and the digit count are the loop's critical path, about 12 cycles).
 * The parser on the whole CSV (133 MB), best of 5, before and after alternating in one process
 * (this VM's speed moves by a third from minute to minute: two runs): 64 KiB chunks 348 → 569
 * MB/s (242 → 404 in a busier minute), 1 MiB chunks 372 → 607 (272 → 410); `csvSamples` over
 * `Deno.open().readable` 216 → 320 MB/s (160 → 211; the file stream alone reads about 600).
 * A field that another form sent to the slow path costs a call into wasm that takes nothing: a
 * CSV of `12e-2`-like numbers parses a quarter slower than with the script loop (94 against 125
 * MB/s), one with a padded field in four a tenth (206 against 238); decimals gain (464 → 589).
 *
 * The kernel reads the bytes from its own memory, so {@linkcode PlainRun} copies the input in,
 * a quarter MiB at a time, and the kernel writes a row's values into a slot there, which the
 * parser copies to the row's place in its sample block once the row is complete.
 *
 * @module
 */

import type { DType, FloatArray } from "../../kernels/types.ts";
import {
  Code,
  encodeModule,
  type Func,
  I32,
  i32s,
  I64,
  ValType,
} from "../../kernels/wasm/encoder.ts";
import { precision } from "../../kernels/wasm/precision.ts";
import { POW10 } from "./_number.ts";
import { DOT, LF, MINUS } from "./_tokenizer.ts";

/** The conversions and the arithmetic the kernel needs beyond `precision.ts`'s loads and stores. */
const F64_DIV = 0xa3, F64_NEG = 0x9a, F64_CONVERT_I64_S = 0xb9;
const F32_CONVERT_I64_S = 0xb4, F32_DEMOTE_F64 = 0xb6;
/** Scalar loads and stores of each element type. */
const F32 = precision("float32", false).scalar, F64 = precision("float64", false).scalar;

/** The most digits a plain number has: `m / 10^k` is then one rounding, as in `Number(text)`. */
const MAX_DIGITS = 15;

/** The kernel's memory: `POW10[0..15]`, then what it returns besides the position. */
const POW10_AT = 0, STATE_AT = 8 * (MAX_DIGITS + 1);
/** Where the kernel leaves how many fields it took, and whether it stopped at the bytes' end. */
const STATE_TAKEN = 0, STATE_EXHAUSTED = 1;

/** Bytes of input in the kernel's memory at a time; a run that reaches their end goes on with the next. */
const MIRROR_BYTES = 1 << 18;
/**
 * Line feeds after the bytes, for the eight-byte load at the last ones: never a digit nor the
 * delimiter, they end a short integer there, and the byte loop then sees the end of the bytes.
 */
const PADDING = 8;

/** `'0'` in every byte, the bytes of the digit test, and their top bits. */
const ZEROS = 0x3030303030303030n, ABOVE_9 = 0x7676767676767676n, TOPS = 0x8080808080808080n;
/** Bytes 0 and 4, where the pairs of digits are read. */
const PAIRS = 0x000000ff000000ffn;

/** The locals of the kernel: its parameters, then its own. */
interface Locals {
  p: number;
  end: number;
  left: number;
  out: number;
  delimiter: number;
  exhausted: number;
  /** The delimiter after the field. */
  q: number;
  /** Eight bytes from `p`, xored with `'0'`: digits are the bytes 0..9. */
  t: number;
  /** The top bits of the bytes of `t` that are not digits (exact up to the second such byte). */
  mask: number;
  /** The trailing zeros of `mask`, and of `mask` without its lowest bit. */
  z1: number;
  z2: number;
  /** An i64 of digits, as {@linkcode joinDigits} wants them. */
  digits: number;
}

/**
 * `(digits) → i64`: the number held by the digits in the top bytes of the local `digits` (0..9
 * each, the first one lowest, zeros below them: leading zeros). `d₀…d₇` become `10·dᵢ + dᵢ₊₁`
 * in the even bytes, then the pairs in bytes 0, 2, 4, 6 are weighted 10⁶, 10⁴, 10², 1 by two
 * multiplies that leave their sum in the upper half.
 */
function joinDigits(c: Code, digits: number): Code {
  c.tee(digits).i64(10n).op(I64.mul).get(digits).i64(8n).op(I64.shrU).op(I64.add).set(digits);
  c.get(digits).i64(PAIRS).op(I64.and).i64(100n + (1000000n << 32n)).op(I64.mul);
  c.get(digits).i64(16n).op(I64.shrU).i64(PAIRS).op(I64.and).i64(1n + (10000n << 32n)).op(I64.mul);
  return c.op(I64.add).i64(32n).op(I64.shrU);
}

/**
 * Stores the number of the digits `place()` leaves at the top of an i64 as `dtype` at `out +
 * offset`: an integer below 10⁸ is exact in a double, so converting it to f32 at once rounds as
 * `f32.demote_f64` of the double does.
 */
function storeDigits(c: Code, l: Locals, dtype: DType, offset: number, place: () => void): void {
  c.get(l.out);
  place();
  joinDigits(c, l.digits);
  if (dtype === "float64") F64.store(c.op(F64_CONVERT_I64_S), offset);
  else F32.store(c.op(F32_CONVERT_I64_S), offset);
}

/** Moves on past the delimiter at `at` and `count` slots, to the next field (loop at `depth`). */
function next(c: Code, l: Locals, dtype: DType, at: number, count: number, depth: number): void {
  c.advance(l.out, count * (dtype === "float64" ? 8 : 4), true);
  c.get(at).i32(1).op(I32.add).set(l.p).get(l.left).i32(count).op(I32.sub).set(l.left).br(depth);
}

/**
 * The fields at `p` when they are one to eight digits and the delimiter: two at a time when both
 * end in the eight bytes loaded (so that the next load waits on one count of digits, not two;
 * the load and the count are the loop's critical path), else one; on to the next fields (at
 * depth 1). Anything else falls through. The digits are counted without a branch: `(t + 0x76…)
 * | t` sets the top bit of each byte of `t` above 9, up to the first one: bytes below it carry
 * nothing up. A delimiter (ASCII) carries nothing either, so past one the second such byte is
 * found the same way.
 */
function shortIntegers(c: Code, l: Locals, dtype: DType): void {
  const bytes = dtype === "float64" ? 8 : 4;
  const a = c.local(ValType.i32), b = c.local(ValType.i32);
  c.get(l.p).mem([I64.load], 0).i64(ZEROS).op(I64.xor).tee(l.t).i64(ABOVE_9).op(I64.add);
  c.get(l.t).op(I64.or).i64(TOPS).op(I64.and).tee(l.mask).op(I64.ctz).tee(l.z1);
  c.op(I32.wrapI64).i32(3).op(I32.shrU).tee(a).op(I32.eqz).brIf(0);
  c.get(l.p).get(a).op(I32.add).tee(l.q).mem([I32.load8U], 0).get(l.delimiter).op(I32.ne).brIf(0);
  // the first field's digits to the top: by 64 − 8a bits, or none for eight digits (mod 64)
  const placeFirst = () =>
    c.get(l.t).i64(0n).get(l.z1).i64(-8n).op(I64.and).op(I64.sub).op(I64.shl);
  c.block(() => {
    c.get(l.left).i32(2).op(I32.ltU).brIf(0);
    c.get(l.mask).get(l.mask).i64(1n).op(I64.sub).op(I64.and).op(I64.ctz).tee(l.z2);
    c.op(I32.wrapI64).i32(3).op(I32.shrU).tee(b).i32(8).op(I32.eq).brIf(0);
    c.get(b).get(a).i32(1).op(I32.add).op(I32.eq).brIf(0); // an empty second field
    c.get(l.p).get(b).op(I32.add).tee(b).mem([I32.load8U], 0).get(l.delimiter).op(I32.ne).brIf(0);
    storeDigits(c, l, dtype, 0, placeFirst);
    // the second field's digits: past the first and its delimiter, then to the top
    storeDigits(c, l, dtype, bytes, () => {
      c.get(l.t).get(l.z1).i64(1n).op(I64.add).op(I64.shrU);
      c.i64(72n).get(l.z2).op(I64.sub).get(l.z1).op(I64.add).op(I64.shl);
    });
    next(c, l, dtype, b, 2, 2);
  });
  storeDigits(c, l, dtype, 0, placeFirst);
  next(c, l, dtype, l.q, 1, 1);
}

/**
 * The field at `p` byte by byte, as the script loop read it: digits, one `-` first, one `.`
 * anywhere, then the delimiter, with 1 to 15 digits: `m` or `m / 10^k`, negated after a `-`
 * (so `-0` is −0). Taken, on to the next field (depth 0); otherwise on to the end (depth 1),
 * `exhausted` set when the bytes ended first.
 */
function anyPlainNumber(c: Code, l: Locals, dtype: DType): void {
  const first = c.local(ValType.i32), point = c.local(ValType.i32), negative = c.local(ValType.i32);
  const b = c.local(ValType.i32), digit = c.local(ValType.i32), m = c.local(ValType.i64);
  const value = c.local(ValType.f64);
  c.get(l.p).tee(l.q).set(first).i32(-1).set(point).i32(0).set(negative).i64(0n).set(m);
  // past the block, q is at the delimiter after the field
  c.block(() =>
    c.loop(() => {
      // depths: this loop 0, the block 1, the field loop 2, the end 3; inside an `if`, one more
      c.get(l.q).get(l.end).op(I32.geU).if(() => c.i32(1).set(l.exhausted).br(4));
      c.get(l.q).mem([I32.load8U], 0).tee(b).i32(48).op(I32.sub).tee(digit).i32(10).op(I32.ltU);
      c.if(() => {
        c.get(m).i64(10n).op(I64.mul).get(digit).op(I64.extendI32U).op(I64.add).set(m);
        c.advance(l.q, 1, true).br(1);
      });
      c.get(b).get(l.delimiter).op(I32.eq).brIf(1);
      c.get(b).i32(DOT).op(I32.eq).get(point).i32(-1).op(I32.eq).op(I32.and);
      c.if(() => c.get(l.q).set(point).advance(l.q, 1, true).br(1));
      c.get(b).i32(MINUS).op(I32.eq).get(l.q).get(first).op(I32.eq).op(I32.and);
      c.get(negative).op(I32.eqz).op(I32.and);
      c.if(() => c.i32(1).set(negative).advance(l.q, 1, true).get(l.q).set(first).br(1));
      c.br(3);
    })
  );
  c.get(l.q).get(first).op(I32.sub).get(point).i32(-1).op(I32.ne).op(I32.sub);
  c.i32(1).op(I32.sub).i32(MAX_DIGITS - 1).op(I32.gtU).brIf(1);
  c.get(m).op(F64_CONVERT_I64_S).set(value);
  c.get(point).i32(-1).op(I32.ne).if(() => {
    c.get(value).get(l.q).get(point).op(I32.sub).i32(1).op(I32.sub).i32(3).op(I32.shl);
    F64.load(c, POW10_AT).op(F64_DIV).set(value);
  });
  c.get(negative).if(() => c.get(value).op(F64_NEG).set(value));
  c.get(l.out).get(value);
  if (dtype === "float64") F64.store(c);
  else F32.store(c.op(F32_DEMOTE_F64));
  next(c, l, dtype, l.q, 1, 0);
}

/**
 * `plain_run(p, end, left, out, delimiter) → p`: from the field at `p`, takes at most `left`
 * plain numbers into consecutive slots from `out` until a field it cannot take; returns where
 * that field starts, and leaves how many it took, and whether the bytes ended, at `STATE_AT`.
 * `end` must be followed by {@linkcode PADDING}.
 */
function plainRunFunc(dtype: DType): Func {
  const params = i32s(5);
  const c = new Code(params);
  const i32 = () => c.local(ValType.i32), i64 = () => c.local(ValType.i64);
  const l: Locals = {
    p: 0,
    end: 1,
    left: 2,
    out: 3,
    delimiter: 4,
    exhausted: i32(),
    q: i32(),
    t: i64(),
    mask: i64(),
    z1: i64(),
    z2: i64(),
    digits: i64(),
  };
  const taken = c.local(ValType.i32);
  c.get(l.left).set(taken);
  c.block(() =>
    c.loop(() => {
      c.get(l.left).op(I32.eqz).brIf(1);
      c.block(() => shortIntegers(c, l, dtype));
      anyPlainNumber(c, l, dtype);
    })
  );
  c.i32(0).get(taken).get(l.left).op(I32.sub).mem([I32.store], 2, STATE_AT + 4 * STATE_TAKEN);
  c.i32(0).get(l.exhausted).mem([I32.store], 2, STATE_AT + 4 * STATE_EXHAUSTED);
  c.get(l.p);
  return { name: `plain_run_${suffixOf(dtype)}`, params, results: [ValType.i32], code: c };
}

function suffixOf(dtype: DType): string {
  return dtype === "float64" ? "f64" : "f32";
}

/**
 * The kernel module: `plain_run_f32` and `plain_run_f64`, over an imported memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plainRunModuleBytes } from "./_plain_run.ts";
 * assert.ok(WebAssembly.validate(plainRunModuleBytes()));
 * ```
 */
export function plainRunModuleBytes(): Uint8Array<ArrayBuffer> {
  return encodeModule([plainRunFunc("float32"), plainRunFunc("float64")], false);
}

let compiled: WebAssembly.Module | null = null;

/** The module, compiled once per thread (the parser runs in workers too). */
function plainRunModule(): WebAssembly.Module {
  return compiled ??= new WebAssembly.Module(plainRunModuleBytes());
}

type Kernel = (p: number, end: number, left: number, out: number, delimiter: number) => number;

/** What {@linkcode PlainRun} needs of the layout: the column count and roles, the slot size. */
export interface RunLayout {
  /** Fields per row. */
  readonly fields: number;
  /** Per column, its offset in a sample's slot, or a negative label role. */
  readonly roles: Int32Array;
  /** Values per sample slot. */
  readonly stride: number;
}

/** Where the parse of a row stands: the next field and its column. */
export interface RunCursor {
  p: number;
  col: number;
}

/**
 * The fast path of one parser: the kernel instance, its memory, the input bytes copied there,
 * and the row slot it writes.
 *
 * @example Two plain numbers taken, the last field left for the parser
 * ```ts
 * import assert from "node:assert/strict";
 * import { PlainRun } from "./_plain_run.ts";
 * const roles = Int32Array.of(0, 1, 2);
 * const run = new PlainRun({ fields: 3, roles, stride: 3 }, "float64", ",".charCodeAt(0));
 * const bytes = new TextEncoder().encode("12,-0.5,7\n");
 * const cursor = { p: 0, col: 0 };
 * run.run(bytes, bytes.length, cursor);
 * assert.deepEqual(cursor, { p: 8, col: 2 });
 * assert.deepEqual([...run.row.subarray(0, 2)], [12, -0.5]);
 * ```
 */
export class PlainRun {
  /** The row slot: the kernel writes the values it takes here, the parser the others. */
  readonly row: FloatArray;
  readonly #kernel: Kernel;
  readonly #roles: Int32Array;
  /** Per column, the column a run from it must stop at: see {@linkcode runEnds}. */
  readonly #runEnds: Int32Array;
  readonly #delimiter: number;
  readonly #rowAt: number;
  readonly #bytesPerValue: number;
  readonly #mirrorAt: number;
  readonly #state: Int32Array;
  readonly #memory: Uint8Array;
  /** The range of the input the mirror holds; none when `#to` is 0. */
  #from = 0;
  #to = 0;

  constructor(layout: RunLayout, dtype: DType, delimiter: number) {
    this.#bytesPerValue = dtype === "float64" ? 8 : 4;
    this.#roles = layout.roles;
    this.#runEnds = runEnds(layout.roles);
    this.#delimiter = delimiter;
    this.#rowAt = STATE_AT + 8;
    this.#mirrorAt = this.#rowAt + align8(this.#bytesPerValue * layout.stride);
    const size = this.#mirrorAt + MIRROR_BYTES + PADDING;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(size / 65536) });
    const instance = new WebAssembly.Instance(plainRunModule(), { env: { memory } });
    this.#kernel = instance.exports[`plain_run_${suffixOf(dtype)}`] as Kernel;
    const buffer = memory.buffer;
    new Float64Array(buffer, POW10_AT, MAX_DIGITS + 1).set(POW10.subarray(0, MAX_DIGITS + 1));
    this.#state = new Int32Array(buffer, STATE_AT, 2);
    this.row = dtype === "float64"
      ? new Float64Array(buffer, this.#rowAt, layout.stride)
      : new Float32Array(buffer, this.#rowAt, layout.stride);
    this.#memory = new Uint8Array(buffer);
  }

  /** Forgets the bytes copied in: the next input is other bytes, maybe in the same array. */
  forget(): void {
    this.#to = 0;
  }

  /**
   * Takes the plain numbers of `buf[c.p, end)` from column `c.col` on into {@linkcode row};
   * leaves the cursor at the first field it cannot take. Until {@linkcode forget}, all calls
   * must pass the same bytes.
   */
  run(buf: Uint8Array, end: number, c: RunCursor): void {
    for (;;) {
      const left = this.#runEnds[c.col] - c.col;
      if (left === 0 || !mayBePlain(buf[c.p])) return;
      if (c.p < this.#from || c.p >= this.#to || end < this.#to) this.#copy(buf, c.p, end);
      const base = this.#mirrorAt - this.#from, to = this.#to;
      const out = this.#rowAt + this.#bytesPerValue * this.#roles[c.col];
      c.p = this.#kernel(base + c.p, base + to, left, out, this.#delimiter) - base;
      const taken = this.#state[STATE_TAKEN];
      c.col += taken;
      if (taken === left) continue; // on past the end of consecutive slots
      // At the bytes' end, or past a quarter MiB from the field's start: no plain number is that long.
      if (this.#state[STATE_EXHAUSTED] === 0 || to === end || this.#from === c.p) return;
      this.#to = 0; // the field goes on past the bytes copied: copy on from it
    }
  }

  #copy(buf: Uint8Array, p: number, end: number): void {
    const to = Math.min(end, p + MIRROR_BYTES), at = this.#mirrorAt;
    this.#memory.set(buf.subarray(p, to), at);
    this.#memory.fill(LF, at + to - p, at + to - p + PADDING);
    this.#from = p;
    this.#to = to;
  }
}

/**
 * Whether a field starting with byte `b` may be a plain number. The parser asks for a run after
 * every field that another form (padding, quotes, an exponent) sent to its slow path, and a
 * call into wasm that takes nothing made a CSV of padded numbers a third slower than the script
 * loop (55 against 81 MB/s); without the call, padded and quoted ones parse as fast as before.
 */
function mayBePlain(b: number | undefined): boolean {
  return b !== undefined && (b - 48 >>> 0 < 10 || b === MINUS || b === DOT);
}

/**
 * Per column, where a run of the kernel from it stops: at the last column (always the parser's,
 * which sees the row's end), at a label column, or where the slots stop being consecutive (a
 * regression target between features); a column that is one of these stops at itself.
 */
function runEnds(roles: Int32Array): Int32Array {
  const fields = roles.length, ends = new Int32Array(fields);
  ends[fields - 1] = fields - 1;
  for (let col = fields - 2; col >= 0; col--) {
    const next = roles[col + 1] === roles[col] + 1 ? ends[col + 1] : col + 1;
    ends[col] = roles[col] < 0 ? col : next;
  }
  return ends;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
