/**
 * Field texts quoted in error messages: short and escaped, so that one bad field cannot print
 * a megabyte, or raw ESC and NUL bytes, to a terminal.
 *
 * @module
 */

/** Characters of a field quoted at most. */
const MAX_CHARS = 40;

/**
 * `text` as a double-quoted excerpt: at most {@linkcode MAX_CHARS} characters (then `…` and the
 * full length), with control characters, quotes and backslashes escaped.
 */
export function excerpt(text: string): string {
  const chars = [...text.slice(0, MAX_CHARS * 2)];
  const cut = chars.length > MAX_CHARS || text.length > MAX_CHARS * 2;
  // JSON escapes C0 controls, quotes and backslashes; DEL, C1 controls and line separators too.
  const quoted = JSON.stringify(chars.slice(0, MAX_CHARS).join("")).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return cut ? `${quoted.slice(0, -1)}…" (${text.length} characters)` : quoted;
}
