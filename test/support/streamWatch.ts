/**
 * Reads a ccxt pro watch* method in a loop (the way a consumer does: call, take the new updates,
 * call again), keeping everything it returned and every error it threw, so tests can wait for what
 * they expect without sleeping. A failed call (a dropped connection) is followed by the next call,
 * which reconnects.
 */
export class StreamWatch<T> {
  readonly items: T[] = [];
  readonly errors: Error[] = [];
  private stopped = false;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  readonly done: Promise<void>;

  constructor(private readonly read: () => Promise<T[]>) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        const batch = await this.read();
        this.items.push(...batch);
        // ccxt may answer at once (e.g. from its cache): give the event loop a turn before asking again
        await new Promise((r) => setImmediate(r));
      } catch (err) {
        if (this.stopped) break;
        this.errors.push(err as Error);
        // a failing call fails at once: pace the retries so the loop cannot starve the event loop
        await new Promise((r) => setTimeout(r, 25));
      }
      this.notify();
    }
  }

  private notify(): void {
    for (const w of [...this.waiters]) {
      if (w.check()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** resolves once `check` holds over what has arrived (checked after every arrival) */
  until(check: (items: readonly T[], errors: readonly Error[]) => boolean, what = 'the expected stream updates', timeoutMs = 20_000): Promise<void> {
    if (check(this.items, this.errors)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`stream: gave up waiting for ${what}; got ${this.items.length} updates, errors: ${this.errors.map((e) => e.message).join('; ')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ check: () => check(this.items, this.errors), resolve: done });
    });
  }

  stop(): void {
    this.stopped = true;
  }
}
