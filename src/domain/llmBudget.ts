/**
 * The LLM's daily spend, in tokens and (with a price per model) in money. Pure: the ledger that
 * keeps it across restarts (src/strategist/spendLedger.ts) and the strategist guard that consults it
 * (budgetedStrategist.ts) are the shells. A day is a UTC day; the spend starts again at 00:00 UTC.
 */

/** what the API's `usage` field says one call cost */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** price per million tokens, in the currency the budget is written in */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

export interface LlmBudget {
  dailyTokens: number;
  /** null: no money budget */
  dailyCost: number | null;
}

export interface DaySpend {
  /** YYYY-MM-DD, UTC */
  day: string;
  tokens: number;
  /** money spent, for the calls whose model has a price */
  cost: number;
  calls: number;
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function costOf(usage: TokenUsage, price: ModelPrice | undefined): number | null {
  if (!price) return null;
  return (usage.promptTokens * price.inputPerMillion + usage.completionTokens * price.outputPerMillion) / 1_000_000;
}

/** the spend of `day`: the saved one if it is of that day, else nothing spent yet */
export function spendOf(saved: DaySpend | null, day: string): DaySpend {
  return saved && saved.day === day ? saved : { day, tokens: 0, cost: 0, calls: 0 };
}

export function addSpend(spend: DaySpend, usage: TokenUsage, cost: number | null): DaySpend {
  return { day: spend.day, tokens: spend.tokens + usage.totalTokens, cost: spend.cost + (cost ?? 0), calls: spend.calls + 1 };
}

/** why no more LLM calls today, or null while there is budget left */
export function budgetSpent(spend: DaySpend, budget: LlmBudget): string | null {
  if (spend.tokens >= budget.dailyTokens) {
    return `the LLM has used ${spend.tokens} tokens today (${spend.day} UTC, ${spend.calls} calls); the daily budget is ${budget.dailyTokens} (strategist.budget.daily_tokens)`;
  }
  if (budget.dailyCost !== null && spend.cost >= budget.dailyCost) {
    return `the LLM has cost ${round(spend.cost)} today (${spend.day} UTC, ${spend.calls} calls); the daily budget is ${budget.dailyCost} (strategist.budget.daily_cost)`;
  }
  return null;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
