/**
 * The first line of a CSV stream, read without reading the rest: predict reads it from one
 * branch of a `tee()` to tell whether the label column is there, and the rows from the other.
 *
 * @module
 */

/** More than any header needs; a stream with no line break is not read to its end for it. */
const MAX_CHARS = 1 << 20;

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
