/**
 * A minimal WebAssembly binary writer: just the part of the format the kernels use.
 *
 * The kernels are generated as bytes at run time and compiled with
 * `new WebAssembly.Module(bytes)`, so the package needs no build step, ships no
 * binary, and can choose relaxed or plain SIMD on the machine it runs on. The
 * writer knows LEB128 numbers, a module of exported functions that imports one
 * memory, and a {@linkcode Code} builder for function bodies. It knows no
 * opcode names beyond control flow, locals and integer arithmetic (i32 for
 * addresses and counters, i64 for the CSV parser's eight bytes at a time); the
 * float instructions live with the code that uses them (`precision.ts`).
 *
 * @module
 */

/** The binary codes of the value types the kernels use. */
export const ValType = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
/** One of the value types in {@linkcode ValType}. */
export type ValType = (typeof ValType)[keyof typeof ValType];

/**
 * `count` i32 types: the generated functions take pointers, strides and sizes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { i32s, ValType } from "./encoder.ts";
 * assert.deepEqual(i32s(2), [ValType.i32, ValType.i32]);
 * ```
 */
export function i32s(count: number): ValType[] {
  return new Array(count).fill(ValType.i32);
}

/** Opcodes of the integer instructions the generators use for addresses and counters. */
export const I32 = {
  eqz: 0x45,
  eq: 0x46,
  ne: 0x47,
  ltU: 0x49,
  gtU: 0x4b,
  leU: 0x4d,
  geU: 0x4f,
  add: 0x6a,
  sub: 0x6b,
  mul: 0x6c,
  and: 0x71,
  shl: 0x74,
  shrU: 0x76,
  /** `(i64) → i32`: the low 32 bits. */
  wrapI64: 0xa7,
  /** `(addr) → i32`: the byte at `addr + offset` ({@linkcode Code.mem}'s immediates), zero-extended. */
  load8U: 0x2d,
  /** `(addr, i32) →` stored at `addr + offset` ({@linkcode Code.mem}'s immediates). */
  store: 0x36,
} as const;

/** Opcodes of the i64 instructions: the CSV parser reads eight bytes of text as one i64. */
export const I64 = {
  /** `(addr) → i64` from `addr + offset`, at any alignment: needs {@linkcode Code.mem}'s immediates. */
  load: 0x29,
  /** The count of trailing zero bits; 64 for zero. */
  ctz: 0x7a,
  add: 0x7c,
  sub: 0x7d,
  mul: 0x7e,
  and: 0x83,
  or: 0x84,
  xor: 0x85,
  shl: 0x86,
  shrU: 0x88,
  /** `(i32) → i64`, zero-extended. */
  extendI32U: 0xad,
} as const;

/** The prefix byte of every SIMD (and relaxed SIMD) instruction. */
const SIMD_PREFIX = 0xfd;

/**
 * `n` as unsigned LEB128: seven bits a byte, low first, the top bit set on all but the last.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unsignedLeb } from "./encoder.ts";
 * assert.deepEqual(unsignedLeb(624485), [0xe5, 0x8e, 0x26]);
 * ```
 */
export function unsignedLeb(n: number): number[] {
  const out: number[] = [];
  do {
    const low = n % 128;
    n = Math.floor(n / 128);
    out.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  return out;
}

/**
 * The integer `value` as signed LEB128: like {@linkcode unsignedLeb}, but it
 * stops once the remaining bits are all copies of the sign bit of the last
 * byte. A bigint carries i64 constants beyond a double's 53 bits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signedLeb } from "./encoder.ts";
 * assert.deepEqual(signedLeb(-123456), [0xc0, 0xbb, 0x78]);
 * assert.deepEqual(signedLeb(1n << 63n).length, 10);
 * ```
 */
export function signedLeb(value: number | bigint): number[] {
  let n = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const low = Number(n & 127n);
    n >>= 7n; // arithmetic: rounds toward −∞, as the format wants
    const done = (n === 0n && (low & 0x40) === 0) || (n === -1n && (low & 0x40) !== 0);
    out.push(done ? low : low | 0x80);
    if (done) return out;
  }
}

/** A length-prefixed vector: the element count, then the elements. */
function vec(items: readonly number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()];
}

/** A section: its id, its byte size, its contents. */
function section(id: number, contents: number[]): number[] {
  return [id, ...unsignedLeb(contents.length), ...contents];
}

/** A UTF-8 name with its length. */
function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsignedLeb(bytes.length), ...bytes];
}

/**
 * A function body under construction: its locals and its instructions.
 *
 * Methods append one instruction each and return `this`, so a stack-machine
 * sequence reads left to right: `code.get(p).i32(16).op(I32.add).set(p)`.
 *
 * @example Adds its two parameters
 * ```ts
 * import assert from "node:assert/strict";
 * import { Code, I32, ValType } from "./encoder.ts";
 * const code = new Code([ValType.i32, ValType.i32]).get(0).get(1).op(I32.add);
 * assert.ok(code.encode().length > 0);
 * ```
 */
export class Code {
  readonly #bytes: number[] = [];
  readonly #locals: ValType[] = [];
  readonly #params: number;

  /** Starts an empty body for a function with these parameter types. */
  constructor(params: readonly ValType[]) {
    this.#params = params.length;
  }

  /** Declares a new local of type `type` and returns its index. */
  local(type: ValType): number {
    this.#locals.push(type);
    return this.#params + this.#locals.length - 1;
  }

  /** Appends raw bytes: an opcode and its immediates. */
  op(...bytes: number[]): this {
    this.#bytes.push(...bytes);
    return this;
  }

  /** A SIMD instruction: the prefix, the opcode as LEB128, then its immediates. */
  simd(opcode: number, ...immediates: number[]): this {
    return this.op(SIMD_PREFIX, ...unsignedLeb(opcode), ...immediates);
  }

  /** `v128.const` with every bit zero. */
  v128Zero(): this {
    return this.simd(0x0c, ...new Array(16).fill(0));
  }

  /** A memory access: the opcode bytes, then log2 of the alignment hint and the constant offset. */
  mem(opcode: readonly number[], alignLog2: number, offset = 0): this {
    return this.op(...opcode, alignLog2, ...unsignedLeb(offset));
  }

  /** `local.get`. */
  get(local: number): this {
    return this.op(0x20, ...unsignedLeb(local));
  }

  /** `local.set`. */
  set(local: number): this {
    return this.op(0x21, ...unsignedLeb(local));
  }

  /** `local.tee`. */
  tee(local: number): this {
    return this.op(0x22, ...unsignedLeb(local));
  }

  /** `i32.const`. */
  i32(value: number): this {
    return this.op(0x41, ...signedLeb(value));
  }

  /** `i64.const`, from a bigint: its bits as an unsigned or a signed 64-bit number. */
  i64(value: bigint): this {
    return this.op(0x42, ...signedLeb(BigInt.asIntN(64, value)));
  }

  /** `local += step` for an i32 local, `step` a local or, when `constant`, a number. */
  advance(local: number, step: number, constant = false): this {
    this.get(local);
    if (constant) this.i32(step);
    else this.get(step);
    return this.op(I32.add).set(local);
  }

  /** `call` of the function with this index. */
  call(func: number): this {
    return this.op(0x10, ...unsignedLeb(func));
  }

  /** `block … end` with no result; `br 0` inside jumps past it. */
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }

  /** `loop … end` with no result; `br 0` inside jumps back to its start. */
  loop(body: () => void): this {
    this.op(0x03, 0x40);
    body();
    return this.op(0x0b);
  }

  /** `if … end` on the i32 on the stack. */
  if(body: () => void): this {
    this.op(0x04, 0x40);
    body();
    return this.op(0x0b);
  }

  /** `br_if depth`. */
  brIf(depth: number): this {
    return this.op(0x0d, ...unsignedLeb(depth));
  }

  /** `br depth`. */
  br(depth: number): this {
    return this.op(0x0c, ...unsignedLeb(depth));
  }

  /**
   * `while (cond) body`: `cond` leaves an i32 on the stack. Inside `body` the
   * loop is depth 0 and the enclosing block depth 1.
   */
  while(cond: () => void, body: () => void): this {
    return this.block(() =>
      this.loop(() => {
        cond();
        this.op(I32.eqz).brIf(1);
        body();
        this.br(0);
      })
    );
  }

  /** The body as the code section stores it: its size, local declarations, instructions, `end`. */
  encode(): number[] {
    const decls = this.#locals.map((type) => [1, type]);
    const body = [...vec(decls), ...this.#bytes, 0x0b];
    return [...unsignedLeb(body.length), ...body];
  }
}

/** A function of a module: its signature, its body and, when exported, its name. */
export interface Func {
  /** The name it is exported under. */
  readonly name: string;
  /** Parameter types. */
  readonly params: readonly ValType[];
  /** Result types; none when absent. */
  readonly results?: readonly ValType[];
  /** The body, built with the same `params`. */
  readonly code: Code;
}

/**
 * A module of functions, most returning nothing, which imports its memory as
 * `env.memory`, declared shared or not (a shared import needs a maximum; the
 * largest one is declared so any shared memory fits).
 *
 * @example A module with one empty function
 * ```ts
 * import assert from "node:assert/strict";
 * import { Code, encodeModule } from "./encoder.ts";
 * const bytes = encodeModule([{ name: "f", params: [], code: new Code([]) }], false);
 * assert.ok(WebAssembly.validate(bytes));
 * ```
 */
export function encodeModule(funcs: readonly Func[], shared: boolean): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [
    0x60,
    ...vec(f.params.map((t) => [t])),
    ...vec((f.results ?? []).map((t) => [t])),
  ]);
  const limits = shared ? [0x03, 0, ...unsignedLeb(65536)] : [0x00, 0];
  const memoryImport = [...name("env"), ...name("memory"), 0x02, ...limits];
  const exports = funcs.map((f, i) => [...name(f.name), 0x00, ...unsignedLeb(i)]);
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([memoryImport])),
    ...section(3, vec(funcs.map((_, i) => unsignedLeb(i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(funcs.map((f) => f.code.encode()))),
  ]);
}
