/**
 * Writing files so that a crash never leaves a half-written one in place:
 * write a temporary file beside the target, fsync it, then rename it over the
 * target (rename is atomic within a file system). A directory of files is
 * written the same way: into a temporary directory that is renamed when whole.
 *
 * Temporary names end in `.tmp-` and eight hex digits, so that the next start
 * can tell (with {@linkcode isTemporary}) what a crash left and remove just that.
 *
 * @module
 */

/**
 * Writes `bytes` (or text) to `path` atomically, through `tmp` (by default a fresh
 * temporary name beside it; a caller allowed to write only two exact paths names the second).
 */
export async function writeFileAtomic(
  path: string,
  content: Uint8Array | string,
  tmp: string = temporaryName(path),
): Promise<void> {
  await writeSynced(tmp, content);
  await Deno.rename(tmp, path);
}

/** Writes `files` into a new directory `dir` (which must not exist yet); it appears whole or not at all. */
export async function writeDirAtomic(
  dir: string,
  files: Record<string, Uint8Array | string>,
): Promise<void> {
  const tmp = temporaryName(dir);
  await Deno.mkdir(tmp, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeSynced(`${tmp}/${name}`, content);
  await Deno.rename(tmp, dir);
}

/** Whether a file name is one of the temporary names written here. */
export function isTemporary(name: string): boolean {
  return /\.tmp-[0-9a-f]{8}$/.test(name);
}

function temporaryName(path: string): string {
  return `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
}

async function writeSynced(path: string, content: Uint8Array | string): Promise<void> {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
  await file.sync();
}
