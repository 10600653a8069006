/**
 * A URL's body as a byte stream, for the readers that take a URL as well as a stream: the IDX
 * reader's worker fetches its files itself with it, so that the calling thread never touches
 * their bytes.
 *
 * @module
 */

import { DataError } from "../errors.ts";

/**
 * The body of `url` (`file:`, `http:`, `https:`); a failed request, or a status other than 2xx,
 * is a DataError naming `source`.
 */
export async function fetchBytes(
  url: string | URL,
  source: string = String(url),
): Promise<ReadableStream<Uint8Array>> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DataError(`cannot fetch it: ${why}`, { source }, { cause: e });
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    throw new DataError(`HTTP ${response.status} ${response.statusText}`.trim(), { source });
  }
  return response.body;
}

/** An input given as a byte stream or as a URL, as a byte stream: a URL is fetched. */
export function bytesOf(
  input: ReadableStream<Uint8Array> | URL,
  source?: string,
): Promise<ReadableStream<Uint8Array>> {
  return input instanceof URL ? fetchBytes(input, source) : Promise.resolve(input);
}
