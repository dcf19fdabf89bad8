import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SlotDecision, SlotRequest } from '../domain/envelope/slots';
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

/** to a symbol's trader: the portfolio is HALTED (cancel a PENDING entry; flatten if asked) */
export const portfolioHaltSignal = defineSignal<[HaltNotice]>('portfolioHalt');
