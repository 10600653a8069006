/**
 * The calling thread's side of a parse in a worker (`_parse_worker.ts`): it reads the input,
 * sends the worker a copy of each chunk, at most two ahead of the samples it has handed out,
 * and turns the packed samples it gets back into `Sample`s, in order. Errors, the header and
 * the classes found arrive in the stream's order, as the parser on this thread gives them.
 *
 * @module
 */

import type { CsvSamplesOptions } from "../csv_samples.ts";
import type { DType, FloatArray } from "../../kernels/types.ts";
import { OneHot } from "../_one_hot.ts";
import { pullStream } from "../_pull.ts";
import type { Sample } from "../sample.ts";
import type { Reply, Request } from "./_parse_worker.ts";
import { errorOf, workerAvailable } from "../_workers.ts";

/**
 * Bytes sent to the worker whose samples the consumer has not taken yet, at most: enough that
 * the worker keeps parsing while the consumer trains (4 MiB is about 1800 Fashion rows, 28
 * batches of 64), few enough to bound memory. With two 64 KiB chunks ahead the worker waited
 * on every pull and an epoch from the CSV took as long as on one thread.
 */
const AHEAD_BYTES = 4 * 2 ** 20;

const WORKER_URL = new URL("./_parse_worker.ts", import.meta.url);

/** Whether a worker can parse here (see `workerAvailable` in `_workers.ts`). */
export function parseWorkerAvailable(): boolean {
  return workerAvailable(WORKER_URL);
}

/** The samples of `input` as a worker parses them with `options`. */
export function samplesInWorker(
  input: ReadableStream<Uint8Array>,
  options: CsvSamplesOptions,
  classes: number,
  dtype: DType,
): ReadableStream<Sample> {
  const { onHeader, onClasses, worker: _, ...rest } = options;
  const worker = new Worker(WORKER_URL, { type: "module" });
  const post = (request: Request, transfer: Transferable[] = []): void =>
    worker.postMessage(request, transfer);
  post({ type: "start", options: rest, onHeader: !!onHeader, onClasses: !!onClasses });
  const oneHot = classes > 0 ? new OneHot(classes, dtype) : null;
  const replies: Reply[] = [];
  let wake: (() => void) | null = null, failure: Error | null = null;
  worker.onmessage = (e: MessageEvent<Reply>) => {
    replies.push(e.data);
    wake?.();
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    failure = new Error(`csvSamples: the parser's worker failed: ${e.message}`);
    wake?.();
  };
  const next = async (): Promise<Reply> => {
    while (replies.length === 0 && failure === null) {
      await new Promise<void>((resolve) => wake = resolve);
      wake = null;
    }
    if (replies.length === 0) throw failure;
    return replies.shift()!;
  };
  const reader = input.getReader();
  // Bytes of each chunk in flight, in order; the input is read on whenever they fall below
  // the bound, by one pump at a time, while the consumer works.
  const inFlight: number[] = [];
  let ahead = 0, ended = false, pumping = false;
  let readFailure: { error: unknown } | null = null;
  const pump = async (): Promise<void> => {
    if (pumping) return;
    pumping = true;
    try {
      while (!ended && ahead < AHEAD_BYTES) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (e) {
          // Told in order: after the samples of the chunks before, at the line they reach.
          readFailure = { error: e };
          post({ type: "failed", why: e instanceof Error ? e.message : String(e) });
          ended = true;
          return;
        }
        if (chunk.done) {
          post({ type: "end" });
          ended = true;
          inFlight.push(0);
        } else {
          // Copied, not transferred: a view would clone its whole buffer, and buffers moved
          // into the worker were never collected there (a 665 MB stream peaked at 983 MB
          // RSS where the calling thread's parse peaked at 298 MB; copied, at 300 MB).
          const copy = chunk.value.slice();
          post({ type: "chunk", bytes: copy });
          inFlight.push(copy.length);
          ahead += copy.length;
        }
      }
    } finally {
      pumping = false;
    }
  };
  const stop = (): void => worker.terminate();
  return pullStream<Sample>({
    async fill(out): Promise<boolean> {
      pump();
      const reply = await next();
      switch (reply.type) {
        case "header":
          onHeader?.(reply.labels);
          return false;
        case "classes":
          onClasses?.(reply.classes, reply.place);
          return false;
        case "samples":
          ahead -= inFlight.shift()!;
          unpack(reply, oneHot, out);
          return false;
        case "done":
          stop();
          return true;
        case "error":
          throw errorOf(reply, readFailure ? { cause: readFailure.error } : undefined);
      }
    },
    cancel: async (reason) => {
      stop();
      await reader.cancel(reason);
    },
  });
}

/** The samples of a `samples` reply, as views into its arrays. */
function unpack(reply: Reply & { type: "samples" }, oneHot: OneHot | null, out: Sample[]): void {
  const { x, y, labels, count } = reply;
  if (count === 0) return;
  const nx = x.length / count, ny = y ? y.length / count : 0;
  const none: FloatArray = x.subarray(0, 0);
  for (let i = 0; i < count; i++) {
    const xi = x.subarray(i * nx, (i + 1) * nx);
    if (labels) out.push({ x: xi, y: oneHot ? oneHot.of(labels[i]) : none, label: labels[i] });
    else out.push({ x: xi, y: y!.subarray(i * ny, (i + 1) * ny) });
  }
}
