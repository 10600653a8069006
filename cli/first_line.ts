/**
 * The first line of a text file, read without reading the rest: the header of a CSV file
 * (its column names), or its first row.
 *
 * @module
 */

import { isUrl } from "./sources.ts";
import { openBytes } from "./data.ts";

/** More than any header needs; a file with no line break is not read to its end for it. */
const MAX_CHARS = 1 << 20;

/**
 * The first line of `path` (its first MiB at most), without its line ending; `undefined`
 * for what cannot be read twice (a FIFO, a device, a URL), whose one read is the data's.
 */
export async function firstLine(path: string): Promise<string | undefined> {
  const info = isUrl(path) ? undefined : await Deno.stat(path).catch(() => undefined);
  return info?.isFile ? firstLineOf(await openBytes(path)) : undefined;
}

/**
 * The first line of `bytes` (its first MiB at most), without its line ending; the stream is
 * cancelled after it. Give it one branch of a `tee()` to read the rest from the other.
 */
export async function firstLineOf(bytes: ReadableStream<Uint8Array>): Promise<string> {
  const reader = bytes.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n") && text.length < MAX_CHARS) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return text.split(/\r?\n/)[0];
}

/**
 * The name of a regression's target column, from the CSV header of `path`, or `undefined`
 * when the file has no header (its first row is all numbers).
 */
export async function targetName(
  path: string,
  label?: string | number,
): Promise<string | undefined> {
  const line = await firstLine(path);
  if (line === undefined) return undefined;
  const fields = line.split(",").map((f) => f.trim().replace(/^"(.*)"$/, "$1"));
  if (!fields.some((f) => f !== "" && !Number.isFinite(Number(f)))) return undefined;
  return typeof label === "string" ? label : fields.at(label ?? -1);
}
