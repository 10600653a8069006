/**
 * The worker's side of an IDX pair read into a cache on another core (`SampleCache.fromIdx`
 * with `worker`): it gunzips and converts the images into arrays on SharedArrayBuffers, which
 * the calling thread holds from the header on, and says after each chunk how many images are
 * in, so that the calling thread can train on them while the rest arrive.
 *
 * @module
 */

import type { FloatArray } from "../kernels/types.ts";
import { type IdxSamplesOptions, readIdxInto } from "./idx_samples.ts";
import { SampleRows } from "./_rows.ts";
import { type ErrorReply, errorReply } from "./_workers.ts";

/** What the calling thread sends, once: both files' bytes, and the reader's options. */
export interface IdxRequest {
  images: Uint8Array;
  labels: Uint8Array;
  options: Omit<IdxSamplesOptions, "onHeader">;
  limitBytes: number;
}

/**
 * What the worker answers, in this order: the header, room (or none), filled counts, then done
 * or an error.
 */
export type IdxReply =
  | { type: "header"; header: { count: number; rows: number; cols: number } }
  | {
    type: "room";
    count: number;
    pixels: number;
    classes: number;
    x: FloatArray;
    labels: Int32Array;
  }
  | { type: "none" }
  | { type: "filled"; count: number }
  | { type: "done" }
  | ErrorReply;

/** Reads the pair of `request`, posting each step. */
async function serve(request: IdxRequest, post: (reply: IdxReply) => void): Promise<void> {
  const { images, labels, options, limitBytes } = request;
  try {
    const filled = await readIdxInto(
      pieces(images),
      pieces(labels),
      { ...options, onHeader: (header) => post({ type: "header", header }) },
      (room) => {
        const rows = SampleRows.forImages(room, limitBytes, true);
        const { count, pixels, classes } = room;
        if (rows) post({ type: "room", count, pixels, classes, x: rows.x, labels: rows.labels! });
        return rows && { x: rows.x, labels: rows.labels! };
      },
      (count) => post({ type: "filled", count }),
    );
    post({ type: filled ? "done" : "none" });
  } catch (e) {
    post(errorReply(e));
  }
}

/**
 * Bytes in pieces of 64 KiB: gunzip gives its output per input chunk, so that a file in one
 * chunk would arrive only once all of it is gunzipped (Fashion's images: 0.18 s), not as it goes.
 */
function pieces(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller): void {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at += PIECE_BYTES));
    },
  }, { highWaterMark: 0 });
}

const PIECE_BYTES = 1 << 16;

// In a worker (no `document`, a `postMessage` of its own), answer the calling thread.
const scope = globalThis as unknown as {
  postMessage?: (m: IdxReply) => void;
  onmessage?: (e: MessageEvent<IdxRequest>) => void;
  WorkerGlobalScope?: unknown;
};
if (scope.WorkerGlobalScope !== undefined && typeof scope.postMessage === "function") {
  const post = scope.postMessage.bind(scope);
  scope.onmessage = (e) => serve(e.data, post);
}
