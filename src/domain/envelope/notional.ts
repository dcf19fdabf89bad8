import { averageEntryPrice, filledQuantity, openQuantity, type Trade } from '../trade';

/**
 * What an open trade commits, in quote currency: the unfilled rest of a PENDING entry at its limit
 * price plus the position held at its average entry. A closed or cancelled trade commits nothing.
 */
export function tradeNotional(trade: Trade): number {
  if (trade.status !== 'PENDING' && trade.status !== 'ACTIVE') return 0;
  const entryWorking = trade.status === 'PENDING' || trade.entryEndedAt === undefined;
  const unfilled = entryWorking ? Math.max(0, trade.quantity - filledQuantity(trade)) : 0;
  return unfilled * trade.entryPrice + openQuantity(trade) * (averageEntryPrice(trade) ?? trade.entryPrice);
}

/**
 * What a new trade will commit, asked before it is placed: the OMS sizes an entry on the FREE quote
 * balance (placeTradePlan), so the slot is asked for that share of it.
 */
export function plannedEntryNotional(freeQuote: number, positionSizePercent: number): number {
  return (freeQuote * positionSizePercent) / 100;
}

/** an account's value in its quote currency: every balance marked to its last price */
export function markToMarket(balances: ReadonlyArray<{ asset: string; total: number }>, quote: string, lastPrices: ReadonlyMap<string, number>): { equity: number; unpriced: string[] } {
  let equity = 0;
  const unpriced: string[] = [];
  for (const b of balances) {
    if (!(b.total > 0)) continue;
    if (b.asset === quote) {
      equity += b.total;
      continue;
    }
    const price = lastPrices.get(b.asset);
    if (price === undefined || !(price > 0)) unpriced.push(b.asset);
    else equity += b.total * price;
  }
  return { equity, unpriced };
}
