import type { TradeEvent } from './events';
import { applyTradeEvent, tradeQuantities } from './stateMachine';
import { splitSymbol } from './symbols';
import type { Trade } from './trade';

/**
 * Continuous reconciliation of one open trade, the decision half: what the trade believes against
 * what the exchange shows for it (its orders, its stops, the account's coins, its orders' fills),
 * and what to do about each difference. Pure: the OMS gathers `TradeOnExchange` through the exchange
 * port and carries the decision out (src/oms/reconcile.ts).
 *
 * The rule that matters most: an ACTIVE trade whose coins are gone and whose protection is gone
 * must end. First the exchange's fills are searched for the reason (a stop or target of the trade's
 * own that filled while nobody looked): those fills are applied, and close the trade with its real
 * PnL. What they do not explain ends as POSITION_GONE (CLOSED, the reason recorded, no PnL claimed).
 * Never left ACTIVE: an ACTIVE trade without a position blocks the symbol's next trade forever.
 */

/** What the exchange shows for one trade, in the domain's words. */
export interface TradeOnExchange {
  /** the exchange's time of the look (the market clock in replay), epoch ms */
  at: number;
  /** base asset the account holds that can be this trade's (its total minus the symbol's other open trades) */
  held: number;
  /** quantity covered by stops of this trade resting on the book */
  protectedQuantity: number;
  /** the market's minimum order amount: less than this is dust, not a position */
  minQuantity: number;
  /** every exit fill of the trade's own orders found in the account's trades, as events (stable ids) */
  exitFills: ReadonlyArray<Extract<TradeEvent, { type: 'STOP_FILLED' | 'TARGET_FILLED' | 'MANUAL_CLOSE' }>>;
}

export type FindingCode = 'EXIT_FILLS_RECOVERED' | 'POSITION_GONE' | 'UNPROTECTED' | 'BALANCE_SHORT' | 'OVER_PROTECTED';

export interface Finding {
  code: FindingCode;
  tradeId: string;
  /** one line for the trade log and the workflow's state */
  detail: string;
}

export interface TradeReconciliation {
  /** events to apply, in exchange order (the workflow runs them through the state machine) */
  events: TradeEvent[];
  /** the open quantity lacks a resting stop: place what is missing */
  protect: boolean;
  findings: Finding[];
}

/** relative tolerance for quantities that reached us as floats */
const TOLERANCE = 1e-6;

export function reconcileTrade(trade: Trade, seen: TradeOnExchange): TradeReconciliation {
  if (trade.status !== 'ACTIVE') return { events: [], protect: false, findings: [] };
  const findings: Finding[] = [];
  const finding = (code: FindingCode, detail: string) => findings.push({ code, tradeId: trade.id, detail });

  // 1. fills of the trade's own exits it has not applied, in the order they happened
  const missed = [...seen.exitFills].filter((e) => !applied(trade, e.eventId)).sort((a, b) => a.at - b.at || a.eventId.localeCompare(b.eventId));
  let after = trade;
  const recovered: TradeOnExchange['exitFills'][number][] = [];
  for (const e of missed) {
    const t = applyTradeEvent(after, e);
    if (t.ignored) continue;
    after = t.trade;
    recovered.push(e);
  }
  const events: TradeEvent[] = [...recovered];
  if (recovered.length > 0) {
    const what = recovered.map((e) => `${e.type} ${e.quantity} @ ${e.price}`).join(', ');
    finding('EXIT_FILLS_RECOVERED', `${trade.id}: fills found in the account's trades that the trade had not seen: ${what}${after.status === 'CLOSED' ? '; the trade is CLOSED by them' : ''}`);
  }
  if (after.status !== 'ACTIVE') return { events, protect: false, findings };

  const open = tradeQuantities(after).open;
  const dust = Math.max(seen.minQuantity, open * TOLERANCE);
  // 2. no coins and no protection: nothing is left to protect or exit (spot LONG holds the base asset).
  //    Only LONG is judged: the market is spot only (config market_type 'spot'; validation refuses
  //    SHORT_ON_SPOT), so no SHORT trade exists. A margin or futures venue would judge a SHORT by its
  //    borrowed position, which the account view does not carry yet.
  if (trade.direction === 'LONG' && seen.held < dust && seen.protectedQuantity < dust) {
    const reason = `reconciliation: the account holds no ${baseOf(trade)} for this trade and no protection rests; the position was closed outside the engine`;
    events.push({ type: 'POSITION_GONE', eventId: `${trade.id}:position-gone`, tradeId: trade.id, quantity: open, reason, at: seen.at });
    finding('POSITION_GONE', `${trade.id}: ACTIVE with ${open} open, but the account holds ${seen.held} and no stop rests: CLOSED (exit unknown)`);
    return { events, protect: false, findings };
  }

  // 3. the rest is repaired by protection (it never protects more than is held) or reported
  const protectable = Math.min(open, trade.direction === 'LONG' ? seen.held : open);
  const protect = seen.protectedQuantity < protectable * (1 - TOLERANCE) && protectable - seen.protectedQuantity >= seen.minQuantity;
  if (protect) finding('UNPROTECTED', `${trade.id}: ${open} open, only ${seen.protectedQuantity} covered by resting stops: placing the rest`);
  if (trade.direction === 'LONG' && seen.held < open * (1 - TOLERANCE)) {
    finding('BALANCE_SHORT', `${trade.id}: ${open} open, but the account holds only ${seen.held} ${baseOf(trade)} that can be this trade's`);
  }
  if (seen.protectedQuantity > open * (1 + TOLERANCE) + seen.minQuantity) {
    finding('OVER_PROTECTED', `${trade.id}: stops for ${seen.protectedQuantity} rest, more than the ${open} open`);
  }
  return { events, protect, findings };
}

function applied(trade: Trade, eventId: string): boolean {
  return (trade.appliedEventIds ?? []).includes(eventId) || trade.exitFills.some((f) => f.eventId === eventId);
}

function baseOf(trade: Trade): string {
  return splitSymbol(trade.symbol).base;
}
