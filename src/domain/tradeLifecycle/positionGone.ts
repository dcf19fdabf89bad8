import type { TradeEvent } from '../events';
import type { Trade } from '../trade';
import { isOpenProtection } from './orderRefs';
import { settle } from './settlement';
import { ignore, journal, markApplied, type TradeEffect, type Transition } from './transition';

/**
 * The coins left the account without a fill of ours (sold or moved by hand, outside the engine) and
 * no protection rests: nothing is left to protect or to exit, so the trade ends CLOSED with the
 * reason. Its exit price is unknown, so no realized PnL is claimed; the fees paid are kept.
 */
export function onPositionGone(trade: Trade, event: Extract<TradeEvent, { type: 'POSITION_GONE' }>): Transition {
  const from = trade.status;
  if (from !== 'ACTIVE') return ignore(trade, `position gone (${event.reason}), but trade ${trade.id} is ${from}`);
  const { fees } = settle(trade);
  const next: Trade = { ...markApplied(trade, event.eventId), status: 'CLOSED', closedAt: event.at, closeReason: event.reason, fees };
  const effects: TradeEffect[] = [];
  if (next.orders.some(isOpenProtection)) effects.push({ type: 'CANCEL_PROTECTION', tradeId: trade.id });
  // an entry order still working would buy coins for a trade that is over
  if (next.orders.some((o) => o.role === 'ENTRY' && o.status === 'OPEN')) effects.push({ type: 'CANCEL_ENTRY', tradeId: trade.id });
  effects.push(journal(next, from, 'CLOSED', `${event.reason}; ${event.quantity} ${trade.symbol} no longer held, exit unknown (no realized PnL)`));
  return { trade: next, effects };
}
