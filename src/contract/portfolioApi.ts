import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SlotDecision, SlotRequest } from '../domain/envelope/slots';
import type { DaySpend, SpendEntry } from '../domain/llmBudget';
import type { HaltNotice, PortfolioView, ReleaseRequest } from './portfolioState';

/**
 * The portfolio workflow's handlers (names are a contract: CLI, activities, `temporal workflow
 * update execute --name ...`). Slots go through Updates: the caller learns the answer, and a
 * request that is malformed is refused by a validator before it enters the history.
 */

/** a slot for a trade about to be placed: granted, or refused with a code */
export const requestSlotUpdate = defineUpdate<SlotDecision, [SlotRequest]>('requestSlot');
/** the trade ended (or was never placed): its slot is free; idempotent by trade id */
export const releaseSlotUpdate = defineUpdate<{ released: boolean }, [ReleaseRequest]>('releaseSlot');
/** lift a DRAWDOWN halt (a daily-loss halt lifts by itself at the next UTC day) */
export const resumeUpdate = defineUpdate<PortfolioView, [{ by?: string }]>('resume');
export const portfolioQuery = defineQuery<PortfolioView>('portfolio');

/**
 * The deployment's one LLM spend ledger (strategist.budget): every worker reports each answer's
 * usage here, and checks the day's spend here before calling the LLM, so N workers share one
 * budget. The Update answers with the day's spend after it; idempotent by its update id.
 */
export const recordLlmSpendUpdate = defineUpdate<DaySpend, [SpendEntry]>('recordLlmSpend');
/** a worker's copy of the day's spend, for a portfolio started afresh the same day: merged, never added */
export const seedLlmSpendUpdate = defineUpdate<DaySpend, [DaySpend]>('seedLlmSpend');
/** the ledger's latest day and its spend (null: no answer recorded yet) */
export const llmSpendQuery = defineQuery<DaySpend | null>('llmSpend');

/** to a symbol's trader: the portfolio is HALTED (cancel a PENDING entry; flatten if asked) */
export const portfolioHaltSignal = defineSignal<[HaltNotice]>('portfolioHalt');
