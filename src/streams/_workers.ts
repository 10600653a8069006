/**
 * What the readers' workers share (the CSV parser's and the IDX reader's): whether a worker
 * can start here, and errors across a worker's boundary, which a worker posts as plain data
 * and the calling thread makes again (a `DataError` with its place, or another error with its
 * name and message).
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

/**
 * Whether the worker whose module is at `url` can start here: the engine has module workers
 * and, in Deno, this package's modules may be read (a worker loads its code as a file; without
 * that permission the work stays on the calling thread, as the `blas` backend falls back
 * without FFI).
 */
export function workerAvailable(url: URL): boolean {
  if (typeof Worker !== "function") return false;
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno === undefined || url.protocol !== "file:") return true;
  const src = new URL("../", import.meta.url);
  try {
    return deno.permissions.querySync({ name: "read", path: src }).state === "granted";
  } catch {
    return false;
  }
}
