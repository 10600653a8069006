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
import { bytesOf } from "./_fetch.ts";

/** The two inputs of a pair. */
export type IdxInput = "images" | "labels";

/**
 * What the calling thread sends: the reader's options first, with the URLs of the inputs that
 * this worker fetches itself; then each other input's bytes in chunks as it reads them (the two
 * interleaved), and each one's end.
 */
export type IdxRequest =
  | {
    type: "start";
    options: Omit<IdxSamplesOptions, "onHeader">;
    limitBytes: number;
    urls: Partial<Record<IdxInput, string>>;
  }
  | { type: "chunk"; input: IdxInput; bytes: Uint8Array }
  | { type: "end"; input: IdxInput };

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

/** Reads the pair, fetched or fed in by `feed`, posting each step. */
async function serve(
  start: IdxRequest & { type: "start" },
  fed: Record<IdxInput, ReadableStream<Uint8Array>>,
  post: (reply: IdxReply) => void,
): Promise<void> {
  const { options, limitBytes, urls } = start;
  const input = (which: IdxInput): Promise<ReadableStream<Uint8Array>> => {
    const url = urls[which];
    return bytesOf(url ? new URL(url) : fed[which], options.source?.[which]);
  };
  try {
    const [images, labels] = await Promise.all([input("images"), input("labels")]);
    const filled = await readIdxInto(
      images,
      labels,
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

/** The two inputs as streams, and what feeds them the requests' chunks. */
function inputs(): {
  streams: Record<IdxInput, ReadableStream<Uint8Array>>;
  feed: (request: IdxRequest & { type: "chunk" | "end" }) => void;
} {
  const controllers = {} as Record<IdxInput, ReadableStreamDefaultController<Uint8Array>>;
  const stream = (input: IdxInput) =>
    new ReadableStream<Uint8Array>({ start: (c) => void (controllers[input] = c) });
  const streams = { images: stream("images"), labels: stream("labels") };
  const feed = (request: IdxRequest & { type: "chunk" | "end" }): void => {
    const controller = controllers[request.input];
    try {
      if (request.type === "end") return controller.close();
      const { bytes } = request;
      for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
        controller.enqueue(bytes.subarray(at, at + PIECE_BYTES));
      }
    } catch {
      // The reader stopped (an error, or the pair would not fit): the rest is not wanted.
    }
  };
  return { streams, feed };
}

/**
 * Chunks go to gunzip in pieces of 64 KiB: it gives its output per input chunk, so that a large
 * chunk would arrive only once all of it is gunzipped (Fashion's images in one: 0.18 s).
 */
const PIECE_BYTES = 1 << 16;

// In a worker (no `document`, a `postMessage` of its own), answer the calling thread.
const scope = globalThis as unknown as {
  postMessage?: (m: IdxReply) => void;
  onmessage?: (e: MessageEvent<IdxRequest>) => void;
  WorkerGlobalScope?: unknown;
};
if (scope.WorkerGlobalScope !== undefined && typeof scope.postMessage === "function") {
  const post = scope.postMessage.bind(scope);
  const { streams, feed } = inputs();
  scope.onmessage = ({ data: request }) => {
    if (request.type === "start") serve(request, streams, post);
    else feed(request);
  };
}
