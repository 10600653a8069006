/**
 * The calling thread's side of an IDX pair read into a cache by a worker (`_idx_worker.ts`):
 * it reads both inputs (compressed, they are small: Fashion-MNIST's are 30 MB), sends the
 * worker a copy, takes the shared arrays the worker fills, and follows how many images are in.
 *
 * @module
 */

import type { IdxSamplesOptions } from "./idx_samples.ts";
import type { IdxReply, IdxRequest } from "./_idx_worker.ts";
import { SampleRows } from "./_rows.ts";
import { errorOf, workerAvailable } from "./_workers.ts";

const WORKER_URL = new URL("./_idx_worker.ts", import.meta.url);

/** Whether the IDX worker can start here (see `workerAvailable`). */
export function idxWorkerAvailable(): boolean {
  return typeof SharedArrayBuffer === "function" && workerAvailable(WORKER_URL);
}

/** Images arriving in a cache's rows, in order: how many are in, and when all are. */
export class Arrivals {
  /** How many images are in. */
  filled = 0;
  /** Whether the reading is over: every image in and checked, or failed. */
  settled = false;
  /** Settles once every image is in and both inputs were checked to their end. */
  readonly done: Promise<void>;
  #wake: (() => void)[] = [];
  #failure: { error: Error } | null = null;
  #settle!: (failure?: Error) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.#settle = (failure) => failure ? reject(failure) : resolve();
    });
    this.done.catch(() => {}); // a failure is met by whoever waits, not unhandled
  }

  /** Whether the reading failed. */
  get failed(): boolean {
    return this.#failure !== null;
  }

  /** Resolves when more images are in (or all), rejects with the reading's error. */
  async more(): Promise<void> {
    this.#throwIfFailed();
    await new Promise<void>((resolve) => this.#wake.push(resolve));
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  /** Records a step of the worker's and wakes the waiters. */
  update(filled: number | "done" | Error): void {
    this.settled ||= typeof filled !== "number";
    if (filled === "done") this.#settle();
    else if (filled instanceof Error) {
      this.#failure = { error: filled };
      this.#settle(filled);
    } else this.filled = filled;
    for (const wake of this.#wake.splice(0)) wake();
  }
}

/** What a started read gives: the rows being filled, their count, and their arrivals. */
export interface Filling {
  rows: SampleRows;
  count: number;
  arrivals: Arrivals;
}

/**
 * Starts the worker on the pair; resolves once the header is read, with the rows it fills,
 * or undefined when they would pass `limitBytes`. An error before that rejects; after, it
 * rejects `arrivals`.
 */
export async function fillInWorker(
  images: ReadableStream<Uint8Array>,
  labels: ReadableStream<Uint8Array>,
  options: IdxSamplesOptions,
  limitBytes: number,
): Promise<Filling | undefined> {
  // Started first, so that it loads its modules while the inputs are read.
  const worker = new Worker(WORKER_URL, { type: "module" });
  let imageBytes: Uint8Array, labelBytes: Uint8Array;
  try {
    [imageBytes, labelBytes] = await Promise.all([bytesOf(images), bytesOf(labels)]);
  } catch (e) {
    worker.terminate();
    throw e;
  }
  const { onHeader, ...rest } = options;
  const request: IdxRequest = { images: imageBytes, labels: labelBytes, options: rest, limitBytes };
  worker.postMessage(request);
  return await new Promise<Filling | undefined>((resolve, reject) => {
    let arrivals: Arrivals | null = null;
    const end = (failure?: Error): void => {
      worker.terminate();
      if (arrivals) arrivals.update(failure ?? "done");
      else if (failure) reject(failure);
      else resolve(undefined);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      end(new Error(`SampleCache.fromIdx: the reader's worker failed: ${e.message}`));
    };
    worker.onmessage = ({ data: reply }: MessageEvent<IdxReply>) => {
      if (reply.type === "header") onHeader?.(reply.header);
      else if (reply.type === "room") {
        arrivals = new Arrivals();
        const { x, labels, pixels, classes, count } = reply;
        resolve({ rows: SampleRows.overImages(x, labels, pixels, classes), count, arrivals });
      } else if (reply.type === "filled") arrivals!.update(reply.count);
      else if (reply.type === "error") end(errorOf(reply));
      else end();
    };
  });
}

/** All of a stream's bytes in one array; the stream's own error, as it is, if it fails. */
async function bytesOf(input: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const part of input) {
    parts.push(part);
    total += part.length;
  }
  const bytes = new Uint8Array(total);
  parts.reduce((at, part) => (bytes.set(part, at), at + part.length), 0);
  return bytes;
}
