/**
 * A small static file server on 127.0.0.1 for the demo page and the browser
 * tests: a fixed table of paths (files read from disk on each request, or
 * bytes held in memory, such as a bundle made at start), and the two
 * headers that make a page cross-origin isolated (COOP `same-origin`, COEP
 * `require-corp`): without them a browser gives no `SharedArrayBuffer`, and the
 * network's products stay on one thread.
 *
 * @module
 */

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  png: "image/png",
};

/** Options of {@linkcode serveStatic}. */
export interface StaticOptions {
  /** Send the cross-origin isolation headers (default `true`). */
  isolated?: boolean;
  /** The port; 0 (the default) takes a free one. */
  port?: number;
  /** Called once listening, with the page's origin. */
  onListen?: (origin: string) => void;
}

/**
 * Serves `files` (URL path → file path, or the bytes themselves with a `.js`, `.html`…
 * path) on 127.0.0.1; `/` serves `/index.html`.
 * Any other path is a 404. Returns the server (`shutdown()` when done) and its origin.
 */
export function serveStatic(
  files: Record<string, string | Uint8Array>,
  options: StaticOptions = {},
): { server: Deno.HttpServer; origin: string } {
  const { isolated = true, port = 0 } = options;
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (request) => {
    const path = new URL(request.url).pathname;
    const key = path === "/" ? "/index.html" : path, file = files[key];
    if (file === undefined) return new Response("not found", { status: 404 });
    const headers = new Headers({
      "content-type": TYPES[key.split(".").pop()!] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    if (isolated) {
      headers.set("cross-origin-opener-policy", "same-origin");
      headers.set("cross-origin-embedder-policy", "require-corp");
    }
    const body = typeof file === "string" ? await Deno.readFile(file) : file;
    return new Response(body as Uint8Array<ArrayBuffer>, { headers });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  options.onListen?.(origin);
  return { server, origin };
}
