import { createLogUpdate } from 'log-update';

/**
 * What npm start is doing before the first decision, one step at a time: the Temporal server, the
 * paper exchange reading its candles, the worker bundling the workflow code, the workflows. Each step
 * says what runs and how long it may take, and how long it took. In a log (a pipe, CI) these are two
 * plain lines per step; on a terminal the running step's line ticks its elapsed time in place
 * (log-update, as `status --watch` redraws), and what the step prints meanwhile goes above it.
 */

/** "0.4 s", "42 s", "6 min 12 s" */
export function elapsedText(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** where the lines go: process.stdout, or a test's stream */
export interface StepStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface StepOptions {
  out?: StepStream;
  /** redraw the running step in place; default: on a terminal, outside CI */
  live?: boolean;
  now?: () => number;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error'] as const;

export class StartSteps {
  readonly #out: StepStream;
  readonly #live: boolean;
  readonly #now: () => number;
  #done = 0;

  constructor(private readonly total: number, opts: StepOptions = {}) {
    this.#out = opts.out ?? process.stdout;
    this.#live = opts.live ?? (this.#out.isTTY === true && !process.env.CI);
    this.#now = opts.now ?? Date.now;
  }

  /** runs `work` as the next step; `outcome` adds what it found to the closing line */
  async run<T>(title: string, hint: string, work: () => Promise<T>, outcome?: (value: T) => string): Promise<T> {
    const label = `[${++this.#done}/${this.total}] ${title}`;
    const t0 = this.#now();
    let stop = () => {};
    if (this.#live) stop = this.#tick(`${label} (${hint})`, t0);
    else this.#out.write(`${label} (${hint}) ...\n`);
    let value: T;
    try {
      value = await work();
    } catch (err) {
      stop();
      this.#out.write(`${label}: failed after ${elapsedText(this.#now() - t0)}\n`);
      throw err;
    }
    stop();
    const found = outcome?.(value);
    this.#out.write(`${label}: done in ${elapsedText(this.#now() - t0)}${found ? `; ${found}` : ''}\n`);
    return value;
  }

  /** the running step's line, redrawn every second; console output meanwhile is printed above it */
  #tick(line: string, t0: number): () => void {
    // showCursor: log-update would otherwise hide the cursor and install an exit handler that re-raises Ctrl-C
    const draw = createLogUpdate(this.#out as NodeJS.WriteStream, { showCursor: true });
    const render = () => draw(`${line} ... ${elapsedText(this.#now() - t0)}`);
    const saved = Object.fromEntries(CONSOLE_METHODS.map((m) => [m, console[m]])) as Record<(typeof CONSOLE_METHODS)[number], (...args: unknown[]) => void>;
    for (const m of CONSOLE_METHODS) {
      console[m] = (...args: unknown[]) => {
        draw.clear();
        saved[m](...args);
        render();
      };
    }
    render();
    const timer = setInterval(render, 1_000);
    return () => {
      clearInterval(timer);
      draw.clear();
      for (const m of CONSOLE_METHODS) console[m] = saved[m];
    };
  }
}
