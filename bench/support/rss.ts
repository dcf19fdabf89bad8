/**
 * Peak resident memory of this process (which hosts the worker: workflow isolates, the Rust core,
 * activities), sampled on a short interval. RSS is what the OS charges and what a container limit
 * kills on, so it is the figure to compare with a memory target, not the JS heap.
 */
export class RssSampler {
  #peak = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly baseline: number;

  constructor(readonly intervalMs = 100) {
    this.baseline = process.memoryUsage.rss();
  }

  start(): this {
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref();
    return this;
  }

  sample(): number {
    const rss = process.memoryUsage.rss();
    if (rss > this.#peak) this.#peak = rss;
    return rss;
  }

  stop(): number {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.sample();
    return this.#peak;
  }

  get peak(): number {
    return this.#peak;
  }
}
