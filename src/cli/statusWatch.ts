import { constants } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogUpdate } from 'log-update';

export interface WatchOptions {
  intervalMs: number;
  /** one frame's text (without the header); a rejection ends the watch with that error */
  render: () => Promise<string>;
  out?: NodeJS.WriteStream;
  /** the clock in the header */
  now?: () => Date;
}

function intervalText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * `status --watch`: renders a frame every interval until Ctrl-C (SIGINT) or SIGTERM, then returns,
 * so the command exits 0 like any other. On a terminal each frame is redrawn in place (log-update,
 * in one synchronized write, the cursor hidden meanwhile and shown again at the end); anywhere else
 * (a pipe, a file, CI) each frame is a new block of lines under its own header, never a control
 * sequence. A reader that goes away (`| head`) ends the watch too.
 */
export async function watchFrames(opts: WatchOptions): Promise<void> {
  const out = opts.out ?? process.stdout;
  const now = opts.now ?? (() => new Date());
  const tty = out.isTTY === true;
  const redraw = tty ? createLogUpdate(out) : null;
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  // `on`, not `once`: log-update's cursor restorer (signal-exit) re-raises a signal it sees with no
  // other listener left, which killed the process by SIGINT (exit 130) before the clean return
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping.signal.aborted) return stop();
    // a second Ctrl-C while a refresh hangs: end at once, as by the signal (the cursor is shown on exit)
    redraw?.done();
    process.exit(128 + constants.signals[signal]);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  out.once('error', stop);
  const stopped = new Promise<null>((resolve) => stopping.signal.addEventListener('abort', () => resolve(null), { once: true }));
  const header = () => `status at ${now().toISOString()}, every ${intervalText(opts.intervalMs)} (Ctrl-C to stop)`;
  try {
    while (!stopping.signal.aborted) {
      const rendering = opts.render();
      // a refresh still running at Ctrl-C is abandoned; its late failure is of no interest then
      rendering.catch(() => undefined);
      const body = await Promise.race([rendering, stopped]);
      if (body === null) break;
      const frame = `${header()}\n${body}`;
      if (redraw) redraw(frame);
      else out.write(`${frame}\n\n`);
      await delay(opts.intervalMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    out.off('error', stop);
    // keeps the last frame on the screen and shows the cursor again
    redraw?.done();
  }
}
