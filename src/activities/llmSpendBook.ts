import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { spendOf, utcDay, type DaySpend, type SpendEntry, type TokenUsage } from '../domain/llmBudget';
import type { PortfolioInput } from '../contract/portfolioState';
import { llmSpendOf, recordLlmSpend, seedLlmSpend } from '../portfolioClient/llmSpend';
import type { SpendBook, SpendLedger } from '../strategist/spendLedger';

export interface PortfolioSpendBookOptions {
  /** the portfolio's input from the config, to start it when it is not running */
  portfolio?: PortfolioInput;
  /** this worker's copy of the day's spend (strategist.budget.state_file) */
  copy?: SpendLedger;
  /** default: the running activity's client */
  client?: Client;
  warn?: (message: string) => void;
  /** how long the portfolio has to answer a read or a report (default LEDGER_ANSWER_MS) */
  answerWithinMs?: number;
}

/**
 * A portfolio that answers does so in milliseconds. One whose task queue no worker serves (its
 * worker gone, or stuck) never does: the server holds a query or an Update until the caller gives
 * up, and without a deadline the check would hold the askStrategist activity until its own timeout.
 */
export const LEDGER_ANSWER_MS = 10_000;

/**
 * The LLM budget's ledger for a worker of a deployment: the portfolio workflow's (one per
 * namespace, whatever the number of workers and machines), reached from the askStrategist activity
 * through the Temporal client. Before each LLM call the day's spend is read there (a query); each
 * answer's usage is recorded there (an Update, idempotent by the activity attempt that paid for it).
 *
 * Nothing is lost when the portfolio does not answer (within LEDGER_ANSWER_MS): an answer's spend
 * not yet recorded is kept and recorded before this worker's next check, and a check that cannot
 * reach the ledger throws, so the LLM is not called on a budget nobody can see. The worker's own
 * file is a copy of the ledger's figure: a portfolio started afresh on the same day (terminated,
 * or the first run after an upgrade, the file then holding the old per-worker count) is seeded
 * from it, merged, never added.
 */
export class PortfolioSpendBook implements SpendBook {
  readonly #unrecorded: Array<{ entry: SpendEntry; updateId: string }> = [];

  constructor(private readonly opts: PortfolioSpendBookOptions = {}) {}

  async today(now: number): Promise<DaySpend> {
    const day = utcDay(now);
    try {
      await this.#recordPending();
      let spend = spendOf(await this.#answered(() => llmSpendOf(this.#client(), this.#start())), day);
      const copy = this.opts.copy?.today(now);
      if (copy && exceeds(copy, spend)) spend = spendOf(await this.#answered(() => seedLlmSpend(this.#client(), this.#start(), copy)), day);
      this.opts.copy?.keep(spend);
      return spend;
    } catch (err) {
      throw new Error(`the portfolio workflow, which keeps the day's spend, did not answer (it has ${this.#answerWithinMs() / 1000} s): ${failureText(err)}`);
    }
  }

  async record(usage: TokenUsage, cost: number | null, now: number): Promise<void> {
    const info = Context.current().info;
    const updateId = `llm-spend:${info.workflowExecution?.workflowId ?? info.workflowType}:${info.activityId}:${info.attempt}`;
    this.#unrecorded.push({ entry: { day: utcDay(now), usage, cost }, updateId });
    try {
      await this.#recordPending();
    } catch (err) {
      this.opts.warn?.(`the LLM spend of an answer is not recorded yet (${(err as Error).message}); it is recorded before this worker's next LLM call`);
    }
  }

  /** oldest first; two activities of this process sending the same entry at once count it once (its update id) */
  async #recordPending(): Promise<void> {
    while (this.#unrecorded.length > 0) {
      const next = this.#unrecorded[0]!;
      try {
        this.opts.copy?.keep(await this.#answered(() => recordLlmSpend(this.#client(), this.#start(), next.entry, next.updateId)));
      } catch (err) {
        if (!(err instanceof WorkflowUpdateFailedError)) throw err;
        // refused by the ledger's validator (a malformed usage field): it can never be counted
        this.opts.warn?.(`the LLM spend ${JSON.stringify(next.entry)} was refused by the portfolio: ${err.cause?.message ?? err.message}`);
      }
      if (this.#unrecorded[0] === next) this.#unrecorded.shift();
    }
  }

  /** every request of `work` (a start of the portfolio included) within the deadline */
  #answered<T>(work: () => Promise<T>): Promise<T> {
    return this.#client().withDeadline(Date.now() + this.#answerWithinMs(), work);
  }

  #answerWithinMs(): number {
    return this.opts.answerWithinMs ?? LEDGER_ANSWER_MS;
  }

  #client(): Client {
    return this.opts.client ?? Context.current().client;
  }

  #start(): { input?: PortfolioInput; taskQueue: string } {
    return { ...(this.opts.portfolio ? { input: this.opts.portfolio } : {}), taskQueue: Context.current().info.taskQueue };
  }
}

/** the copy holds more of the same day than the ledger: the ledger lost it */
function exceeds(copy: DaySpend, spend: DaySpend): boolean {
  return copy.day === spend.day && (copy.tokens > spend.tokens || copy.cost > spend.cost || copy.calls > spend.calls);
}

/** the client's error with its cause: "Failed to query Workflow" alone does not say why */
function failureText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : null;
  return cause && !err.message.includes(cause) ? `${err.message} (${cause})` : err.message;
}
