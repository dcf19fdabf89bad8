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

/** one LLM answer's spend, as a worker reports it to the one ledger of a deployment (the portfolio workflow) */
export interface SpendEntry {
  /** the UTC day of the call, YYYY-MM-DD, by the calling worker's clock */
  day: string;
  usage: TokenUsage;
  /** null: the model has no price */
  cost: number | null;
}

/**
 * The ledger after one answer: today's spend grows by it, and a new day starts afresh. An answer
 * reported after its day is over (a worker's clock behind, a late retry) is not counted: the day it
 * belongs to is gone, and it must not count against the new one.
 */
export function withEntry(saved: DaySpend | null, entry: SpendEntry): DaySpend {
  if (saved && entry.day < saved.day) return saved;
  return addSpend(spendOf(saved, entry.day), entry.usage, entry.cost);
}

/**
 * The ledger with a copy of it that a worker kept (seeding a portfolio started afresh): the later
 * day wins; for the same day each figure is the larger. A copy is only ever a figure the ledger
 * once had, so the larger figure loses nothing and counts nothing twice.
 */
export function mergedSpend(saved: DaySpend | null, copy: DaySpend): DaySpend {
  if (!saved || copy.day > saved.day) return { ...copy };
  if (copy.day < saved.day) return saved;
  return { day: saved.day, tokens: Math.max(saved.tokens, copy.tokens), cost: Math.max(saved.cost, copy.cost), calls: Math.max(saved.calls, copy.calls) };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function figuresProblem(what: string, figures: Record<string, unknown>, keys: readonly string[], nullable: readonly string[] = []): string | null {
  for (const key of keys) {
    const v = figures[key];
    if (v === null && nullable.includes(key)) continue;
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) return `${what}.${key} must be a number of 0 or more, got ${JSON.stringify(v)}`;
  }
  return null;
}

function dayProblem(day: unknown): string | null {
  return typeof day === 'string' && DAY.test(day) ? null : `day must be a UTC day YYYY-MM-DD, got ${JSON.stringify(day)}`;
}

/** what is wrong with a reported answer's spend, or null (an Update's validator: a bad one never enters the history) */
export function spendEntryProblem(entry: SpendEntry): string | null {
  if (!entry || typeof entry !== 'object') return 'the spend must be an object { day, usage, cost }';
  const usage = (entry.usage ?? null) as unknown as Record<string, unknown> | null;
  if (!usage || typeof usage !== 'object') return 'usage must be an object { promptTokens, completionTokens, totalTokens }';
  return dayProblem(entry.day) ?? figuresProblem('usage', usage, ['promptTokens', 'completionTokens', 'totalTokens']) ?? figuresProblem('spend', { cost: entry.cost }, ['cost'], ['cost']);
}

/** what is wrong with a day's spend (a worker's copy), or null */
export function daySpendProblem(spend: DaySpend): string | null {
  if (!spend || typeof spend !== 'object') return 'the spend must be an object { day, tokens, cost, calls }';
  return dayProblem(spend.day) ?? figuresProblem('spend', spend as unknown as Record<string, unknown>, ['tokens', 'cost', 'calls']);
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
