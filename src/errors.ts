/**
 * The error a user meets when input data is wrong: it names the place.
 *
 * @module
 */

/**
 * Bad input data, with the file (or source name), 1-based line and column.
 * Its message reads `file:line:column: reason`, ready to print as one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataError } from "@fullmatrix/backprop";
 * const e = new DataError("not a number: \"x\"", { source: "a.csv", line: 3, column: 2 });
 * assert.ok(e.message === "a.csv:3:2: not a number: \"x\"");
 * ```
 */
export class DataError extends Error {
  /** The file or source name. */
  readonly source: string;
  /** 1-based line, or 0 when the error is about the whole source. */
  readonly line: number;
  /** 1-based column (field number in a CSV row), or 0 when not known. */
  readonly column: number;
  /** The reason alone, without the place. */
  readonly reason: string;

  /** Makes the error; the message is built from the place and the reason; `options.cause` is kept. */
  constructor(
    reason: string,
    where: { source: string; line?: number; column?: number },
    options?: ErrorOptions,
  ) {
    const line = where.line ?? 0, column = where.column ?? 0;
    const place = line > 0
      ? `${where.source}:${line}${column > 0 ? `:${column}` : ""}`
      : where.source;
    super(`${place}: ${reason}`, options);
    this.name = "DataError";
    this.source = where.source;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}
