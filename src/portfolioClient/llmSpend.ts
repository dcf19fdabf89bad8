import type { Client } from '@temporalio/client';
import type { DaySpend, SpendEntry } from '../domain/llmBudget';
import { llmSpendQuery, recordLlmSpendUpdate, seedLlmSpendUpdate } from '../contract/portfolioApi';
import type { PortfolioInput } from '../contract/portfolioState';
import { onPortfolio } from './index';

/**
 * The LLM spend ledger on the portfolio workflow, from outside a workflow (the strategist's budget
 * in the askStrategist activity). Like a slot request, reading or recording starts the portfolio
 * when it is not running.
 */

type Start = { input?: PortfolioInput; taskQueue: string };

/** the ledger's latest day and its spend; null when nothing was recorded yet */
export function llmSpendOf(client: Client, start: Start): Promise<DaySpend | null> {
  return onPortfolio(client, start, (h) => h.query(llmSpendQuery));
}

/** one answer's spend; `updateId` makes a repeated report (a retried call of the client) count once */
export function recordLlmSpend(client: Client, start: Start, entry: SpendEntry, updateId: string): Promise<DaySpend> {
  return onPortfolio(client, start, (h) => h.executeUpdate(recordLlmSpendUpdate, { args: [entry], updateId }));
}

/** a worker's copy of the day's spend, merged into a ledger that lost it (a portfolio started afresh) */
export function seedLlmSpend(client: Client, start: Start, copy: DaySpend): Promise<DaySpend> {
  return onPortfolio(client, start, (h) => h.executeUpdate(seedLlmSpendUpdate, { args: [copy] }));
}
