/**
 * Errors across a worker's boundary: a worker posts what went wrong as plain data, and the
 * calling thread makes the error again, a `DataError` with its place, or another error with
 * its name and message. Shared by the CSV parser's worker and the IDX reader's.
 *
 * @module
 */

import { DataError } from "../errors.ts";

/** An error as a worker posts it. */
export interface ErrorReply {
  type: "error";
  /** A DataError's parts, or none for another error. */
  data?: { reason: string; source: string; line: number; column: number };
  name: string;
  message: string;
}

/** What a worker posts for `e`. */
export function errorReply(e: unknown): ErrorReply {
  const error = e instanceof Error ? e : new Error(String(e));
  return {
    type: "error",
    data: e instanceof DataError
      ? { reason: e.reason, source: e.source, line: e.line, column: e.column }
      : undefined,
    name: error.name,
    message: error.message,
  };
}

/** The error a reply tells of, on the calling thread; `options.cause` for a DataError. */
export function errorOf(reply: ErrorReply, options?: ErrorOptions): Error {
  if (reply.data) return new DataError(reply.data.reason, reply.data, options);
  return Object.assign(new Error(reply.message), { name: reply.name });
}
