/**
 * Waiting on the state a bench's fake activities build up: each wait is a condition, re-checked
 * whenever its owner reports a change (wake), so the bench reacts to the event, not to a poll.
 */
export class Waiters {
  #waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  /** resolves true once the condition holds, false when `timeoutMs` passes first */
  until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = { check, resolve: () => (clearTimeout(timer), resolve(true)) };
      this.#waiters.push(waiter);
    });
  }

  /** the owner's state changed: settle every wait whose condition now holds */
  wake(): void {
    for (const w of [...this.#waiters]) {
      if (w.check()) {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }
}
