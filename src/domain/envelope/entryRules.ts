import type { Trade } from '../trade';
import type { SymbolEntryRules } from './limits';
import { utcDay } from './utcDay';

/**
 * One symbol's own brakes, whatever the strategist says: a cooldown after a stop-out, a cap on new
 * trades per UTC day, and entry expiry. The symbol's book is part of the trader's state and
 * survives continue-as-new.
 */

export interface SymbolBook {
  /** no new entry while the cycle's sequence is at or below this (0: none) */
  cooldownUntilSequence: number;
  /** UTC day `tradesToday` counts */
  tradesDay: string | null;
  tradesToday: number;
  /** trade ids already counted or already put in cooldown */
  counted: string[];
}

export const EMPTY_SYMBOL_BOOK: SymbolBook = { cooldownUntilSequence: 0, tradesDay: null, tradesToday: 0, counted: [] };

export type EntryRefusalCode = 'COOLDOWN' | 'MAX_TRADES_PER_DAY';

export function entryRefusal(book: SymbolBook, rules: SymbolEntryRules, sequence: number, now: number): { code: EntryRefusalCode; reason: string } | null {
  if (sequence <= book.cooldownUntilSequence) {
    const left = book.cooldownUntilSequence - sequence + 1;
    return { code: 'COOLDOWN', reason: `cooling down after a stop-out: no new entry for ${left} more cycle(s) (cooldown_cycles ${rules.cooldownCycles})` };
  }
  const today = book.tradesDay === utcDay(now) ? book.tradesToday : 0;
  if (today >= rules.maxTradesPerDay) {
    return { code: 'MAX_TRADES_PER_DAY', reason: `${today} new trade(s) today (UTC ${utcDay(now)}), max_trades_per_symbol_per_day is ${rules.maxTradesPerDay}` };
  }
  return null;
}

/** a new trade was placed: it counts for its UTC day */
export function countEntry(book: SymbolBook, tradeId: string, now: number): SymbolBook {
  if (book.counted.includes(tradeId)) return book;
  const day = utcDay(now);
  const tradesToday = book.tradesDay === day ? book.tradesToday + 1 : 1;
  return { ...book, tradesDay: day, tradesToday, counted: remember(book.counted, tradeId) };
}

/** a trade ended: a stop-out starts the cooldown, counted from the cycle it ended in */
export function afterTradeEnded(book: SymbolBook, trade: Trade, sequence: number, rules: SymbolEntryRules): SymbolBook {
  const key = `${trade.id}:ended`;
  if (trade.status !== 'CLOSED' || book.counted.includes(key) || rules.cooldownCycles <= 0) return book;
  if (!trade.exitFills.some((f) => f.reason === 'STOP')) return book;
  return { ...book, cooldownUntilSequence: Math.max(book.cooldownUntilSequence, sequence + rules.cooldownCycles), counted: remember(book.counted, key) };
}

export function stoppedOut(trade: Trade): boolean {
  return trade.status === 'CLOSED' && trade.exitFills.some((f) => f.reason === 'STOP');
}

/** a PENDING entry older than the timeout (counted from the trade's creation) */
export function entryExpired(trade: Trade | null, now: number, rules: SymbolEntryRules): boolean {
  return trade?.status === 'PENDING' && trade.entryFills.length === 0 && now - trade.createdAt >= rules.entryTimeoutMs;
}

function remember(list: string[], id: string): string[] {
  return [...list, id].slice(-50);
}
