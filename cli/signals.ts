/**
 * The signals that stop a training run cleanly: Ctrl-C (SIGINT), SIGTERM (what `docker stop`,
 * systemd and CI runners send) and SIGHUP (a closed terminal). Each finishes the current
 * batch; the run checkpoints and exits with 128 + the signal's number, as shells expect.
 *
 * @module
 */

/** The stopping signals and their exit codes. */
export const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** One of {@linkcode SIGNALS}. */
export type StopSignal = keyof typeof SIGNALS;

/**
 * Stops training cleanly on SIGINT, SIGTERM and SIGHUP alike (`docker stop`, systemd and CI
 * runners send SIGTERM; a closed terminal SIGHUP), and remembers which came first.
 */
export function listenForStopSignals(): {
  signal: AbortSignal;
  received?: StopSignal;
  [Symbol.dispose](): void;
} {
  const abort = new AbortController();
  const state: ReturnType<typeof listenForStopSignals> = {
    signal: abort.signal,
    [Symbol.dispose]: () => {
      for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
    },
  };
  const listeners = (Object.keys(SIGNALS) as StopSignal[]).map((name) => {
    const listener = () => {
      state.received ??= name;
      abort.abort();
    };
    Deno.addSignalListener(name, listener);
    return [name, listener] as const;
  });
  return state;
}
