import { budgetSpent, costOf, type LlmBudget, type ModelPrice } from '../domain/llmBudget';
import type { SpendBook } from './spendLedger';
import type { DecisionUsage, Proposal, Strategist, StrategistRequest } from './strategist';

export interface BudgetOptions {
  budget: LlmBudget;
  /** model -> price per million tokens */
  prices: Record<string, ModelPrice>;
  model: string;
  /** where the day's spend is read and each answer recorded: the deployment's one ledger, or a file */
  ledger: SpendBook;
  /** what decides once the budget is spent: the rules strategist, or nobody (DO_NOTHING) */
  fallback: Strategist | null;
  /** told once per UTC day when the budget runs out */
  warn?: (message: string) => void;
  clock?: () => number;
}

/**
 * The LLM strategist inside its daily budget. Every answer's usage (the API's usage field) is added
 * to the day's spend, with its cost when the model has a price; once the tokens or the money of the
 * day are spent, the LLM is not called again until 00:00 UTC: the rules strategist decides (its
 * reasoning says why), or the decision is DO_NOTHING with LLM_BUDGET_SPENT, as configured.
 *
 * The check is before each call, so the call that crosses the budget completes (a budget is
 * overshot by at most one answer per symbol deciding at that moment). A ledger that cannot be read
 * makes the decision DO_NOTHING with LLM_BUDGET_UNKNOWN (not the fallback: nothing says the
 * budget is spent).
 */
export class BudgetedStrategist implements Strategist {
  readonly kind: Strategist['kind'];
  readonly description: string;
  #warnedDay: string | null = null;

  constructor(
    readonly llm: Strategist,
    readonly options: BudgetOptions,
  ) {
    this.kind = llm.kind;
    this.description = llm.description;
  }

  async propose(request: StrategistRequest): Promise<Proposal> {
    const now = (this.options.clock ?? Date.now)();
    let today;
    try {
      today = await this.options.ledger.today(now);
    } catch (err) {
      // the LLM is not called on a budget nobody can check; the next cycle checks again
      const reason = `LLM budget unknown: ${err instanceof Error ? err.message : String(err)}; the LLM is not called until the day's spend can be read`;
      return { ok: false, source: this.llm.kind, stage: 'llm', code: 'LLM_BUDGET_UNKNOWN', reason };
    }
    const spent = budgetSpent(today, this.options.budget);
    if (spent) return this.#fallback(request, spent, now);
    const proposal = await this.llm.propose(request);
    if (!proposal.usage) return proposal;
    const cost = costOf(proposal.usage, this.options.prices[this.options.model]);
    await this.options.ledger.record(proposal.usage, cost, now);
    const usage: DecisionUsage = cost === null ? proposal.usage : { ...proposal.usage, cost };
    return { ...proposal, usage };
  }

  async #fallback(request: StrategistRequest, spent: string, now: number): Promise<Proposal> {
    const fallback = this.options.fallback;
    const day = new Date(now).toISOString().slice(0, 10);
    const what = fallback ? `the ${fallback.kind} strategist decides` : 'every decision is DO_NOTHING';
    const notice = `LLM budget spent: ${spent}; until 00:00 UTC ${what}`;
    if (this.#warnedDay !== day) {
      this.#warnedDay = day;
      this.options.warn?.(notice);
    }
    if (!fallback) return { ok: false, source: this.llm.kind, stage: 'llm', code: 'LLM_BUDGET_SPENT', reason: notice };
    const proposal = await fallback.propose(request);
    if (!proposal.ok) return { ...proposal, reason: `${notice}. ${proposal.reason}` };
    const reasoning = proposal.command.reasoning;
    return { ...proposal, command: { ...proposal.command, reasoning: reasoning ? `${notice}. ${reasoning}` : notice } };
  }
}
