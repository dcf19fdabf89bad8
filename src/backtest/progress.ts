import cliProgress from 'cli-progress';

/**
 * The progress bar of a backtest on the terminal: decision candles done of all strategists, ETA,
 * trades so far and LLM calls so far. Nothing at all when not on a terminal (CI logs, pipes).
 */
export class BacktestProgress {
  readonly #bar: cliProgress.SingleBar | null;
  readonly #done = new Map<string, number>();
  readonly #trades = new Map<string, number>();
  #started = false;

  constructor(
    enabled: boolean,
    private readonly strategists: readonly string[],
    private readonly llmCalls: () => number,
  ) {
    this.#bar = enabled
      ? new cliProgress.SingleBar(
          { format: 'backtest [{bar}] {percentage}% | {value}/{total} candles | ETA {eta_formatted} | trades {trades} | LLM calls {llm}', hideCursor: true, etaBuffer: 200, fps: 5, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : null;
  }

  update(p: { strategist: string; done: number; total: number; trades: number }): void {
    if (!this.#bar) return;
    this.#done.set(p.strategist, p.done);
    this.#trades.set(p.strategist, p.trades);
    const total = p.total * this.strategists.length;
    const value = [...this.#done.values()].reduce((a, b) => a + b, 0);
    const payload = { trades: [...this.#trades.values()].reduce((a, b) => a + b, 0), llm: this.llmCalls() };
    if (!this.#started) {
      this.#bar.start(total, value, payload);
      this.#started = true;
    } else {
      this.#bar.update(value, payload);
    }
  }

  stop(): void {
    if (this.#started) this.#bar?.stop();
  }
}
