/**
 * The calling thread's side of an IDX pair read into a cache by a worker (`_idx_worker.ts`):
 * it has the worker fetch the inputs given as URLs, reads the others and sends the worker a copy
 * of each chunk as it comes (gunzip starts at the first), takes the shared arrays the worker
 * fills, and follows how many images are in.
 *
 * @module
 */

import type { IdxSamplesOptions } from "./idx_samples.ts";
import type { IdxInput, IdxReply, IdxRequest } from "./_idx_worker.ts";
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
 * rejects `arrivals`. An input's own error is given as it is. With `after`, the worker starts
 * at once but reads only once `after` resolves (and not at all, rejecting with its reason, if
 * it rejects).
 */
export function fillInWorker(
  images: ReadableStream<Uint8Array> | URL,
  labels: ReadableStream<Uint8Array> | URL,
  options: IdxSamplesOptions,
  limitBytes: number,
  after?: Promise<unknown>,
): Promise<Filling | undefined> {
  const worker = new Worker(WORKER_URL, { type: "module" });
  const post = (request: IdxRequest, transfer: Transferable[] = []) =>
    worker.postMessage(request, transfer);
  const { onHeader, ...rest } = options;
  const urls = {
    images: images instanceof URL ? images.href : undefined,
    labels: labels instanceof URL ? labels.href : undefined,
  };
  if (!after) return read();
  return after.then(read, (e) => {
    worker.terminate();
    throw e;
  });

  function read(): Promise<Filling | undefined> {
    post({ type: "start", options: rest, limitBytes, urls });
    return new Promise<Filling | undefined>((resolve, reject) => {
      let arrivals: Arrivals | null = null, handedOut = false, over = false;
      const end = (failure?: Error): void => {
        if (over) return;
        over = true;
        worker.terminate();
        if (failure && !handedOut) reject(failure);
        else if (arrivals) arrivals.update(failure ?? "done");
        else resolve(undefined);
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        end(new Error(`SampleCache.fromIdx: the reader's worker failed: ${e.message}`));
      };
      // Both inputs at once (the reader of the pair takes from both as it goes); the rows are
      // handed out once all is sent, so that the caller's own work does not hold the reading up.
      const sent = Promise.all([send("images", images), send("labels", labels)]);
      worker.onmessage = ({ data: reply }: MessageEvent<IdxReply>) => {
        if (reply.type === "header") onHeader?.(reply.header);
        else if (reply.type === "room") {
          arrivals = new Arrivals();
          const { x, labels, pixels, classes, count } = reply;
          const rows = SampleRows.overImages(x, labels, pixels, classes);
          sent.then(() => {
            handedOut = true;
            resolve({ rows, count, arrivals: arrivals! });
          });
        } else if (reply.type === "filled") arrivals!.update(reply.count);
        else if (reply.type === "error") end(errorOf(reply));
        else end();
      };
      async function send(
        input: IdxInput,
        stream: ReadableStream<Uint8Array> | URL,
      ): Promise<void> {
        if (stream instanceof URL) return; // the worker fetches it
        const reader = stream.getReader();
        try {
          for (let next = await reader.read(); !next.done; next = await reader.read()) {
            if (over) return void reader.cancel("the reading is over").catch(() => {});
            // A copy, moved: the input's own buffers stay its own, and no clone is made.
            const bytes = next.value.slice();
            post({ type: "chunk", input, bytes }, [bytes.buffer]);
          }
          post({ type: "end", input });
        } catch (e) {
          end(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
  }
}
