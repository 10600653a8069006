/**
 * The CSV parser in a worker: the thread that `csvSamples({ worker: true })` starts. It builds
 * the very parser the calling thread would (`parserFor`), feeds it the chunks it is sent, and
 * sends back each chunk's samples packed in three transferred arrays, so that parsing runs on
 * another core while the caller trains. The messages are `Request`s and `Reply`s.
 *
 * @module
 */

import type { CsvSamplesOptions } from "../csv_samples.ts";
import { DataError } from "../../errors.ts";
import type { FloatArray } from "../../kernels/types.ts";
import type { Sample } from "../sample.ts";
import { parserFor } from "./_options.ts";
import type { CsvParser } from "./_parser.ts";
import { dtypeOfArray, floats } from "../_blocks.ts";
import { type ErrorReply, errorReply } from "../_workers.ts";

/** What the calling thread sends: the options (callbacks replaced by flags), chunks, the end. */
export type Request =
  | {
    type: "start";
    options: Omit<CsvSamplesOptions, "onHeader" | "onClasses" | "worker">;
    onHeader: boolean;
    onClasses: boolean;
  }
  | { type: "chunk"; bytes: Uint8Array }
  | { type: "end" }
  /** Reading the input failed, after the chunks sent so far: `why` says how. */
  | { type: "failed"; why: string };

/**
 * What the worker sends back: one `samples` per chunk (and one at the end), the header and the
 * classes when asked for, then `done`; or an `error`, after the samples before it.
 */
export type Reply =
  | { type: "header"; labels: string[] }
  | {
    type: "samples";
    /** `count` rows of `x` (and of `y`, for samples without a class), and each class. */
    x: FloatArray;
    y: FloatArray | null;
    labels: Int32Array | null;
    count: number;
  }
  | { type: "classes"; classes: string[]; place: Uint32Array }
  | { type: "done" }
  | ErrorReply;

/** The samples of one chunk in three arrays, and the arrays to transfer. */
export function pack(samples: Sample[]): [Reply, Transferable[]] {
  const count = samples.length, first = samples[0];
  const nx = first?.x.length ?? 0, ny = first?.y.length ?? 0;
  const dtype = first ? dtypeOfArray(first.x) : "float32";
  const classified = first?.label !== undefined;
  const x = floats(dtype, count * nx), y = classified ? null : floats(dtype, count * ny);
  const labels = classified ? new Int32Array(count) : null;
  samples.forEach((s, i) => {
    x.set(s.x, i * nx);
    if (y) y.set(s.y, i * ny);
    if (labels) labels[i] = s.label!;
  });
  // Made here, so plain ArrayBuffers.
  const buffers = [x.buffer, y?.buffer, labels?.buffer].filter((b) =>
    b !== undefined
  ) as ArrayBuffer[];
  return [{ type: "samples", x, y, labels, count }, buffers];
}

/** The worker's side, on its `self`. */
function serve(scope: { postMessage(m: Reply, t?: Transferable[]): void }): (r: Request) => void {
  let parser: CsvParser | undefined, done = (): void => {};
  const send = (out: Sample[]): void => {
    const [reply, transfer] = pack(out);
    scope.postMessage(reply, transfer);
  };
  return (request) => {
    const out: Sample[] = [];
    try {
      if (request.type === "start") {
        const options: CsvSamplesOptions = {
          ...request.options,
          onHeader: request.onHeader
            ? (labels) => scope.postMessage({ type: "header", labels })
            : undefined,
          onClasses: request.onClasses
            ? (classes, place) => scope.postMessage({ type: "classes", classes, place })
            : undefined,
        };
        ({ parser, done } = parserFor(options));
      } else if (request.type === "chunk") {
        parser!.push(request.bytes, out);
        send(out);
      } else if (request.type === "failed") {
        const reason = `reading failed after line ${parser!.line - 1}: ${request.why}`;
        throw new DataError(reason, { source: parser!.source });
      } else {
        parser!.finish(out);
        send(out);
        done();
        scope.postMessage({ type: "done" });
      }
    } catch (e) {
      if (out.length > 0) send(out);
      scope.postMessage(errorReply(e));
    }
  };
}

// In a worker (no `document`, a `postMessage` of its own), answer the calling thread.
const scope = globalThis as unknown as {
  postMessage?: (m: Reply, t?: Transferable[]) => void;
  onmessage?: (e: MessageEvent<Request>) => void;
  WorkerGlobalScope?: unknown;
};
if (scope.WorkerGlobalScope !== undefined && typeof scope.postMessage === "function") {
  const handle = serve(scope as { postMessage(m: Reply, t?: Transferable[]): void });
  scope.onmessage = (e) => handle(e.data);
}
