import type { TradeEvent } from '../domain/events';
import type { MarketLimits } from '../domain/market';
import { compare, toDecimal } from '../domain/precision';
import type { Trade } from '../domain/trade';
import { classifyExchangeError } from '../exchange/errors';
import type { ExchangePort } from '../exchange/port';
import { marketCloseClientId } from './clientIds';
import { exitEventForFill, exitSide } from './exchangeView';
import type { OmsLogger } from './logger';

/**
 * The money-safe answer to a protection the exchange refused for good: the quantity it would have
 * covered is closed at market (client id x<g>.<c>, so a retry adopts the close instead of selling
 * twice) rather than left without a stop. Every outcome raises an alert, logged at once and returned.
 */

export interface MarketFallback {
  status: 'CLOSED_AT_MARKET' | 'UNPROTECTED';
  /** the exit fills of the close */
  events: TradeEvent[];
  alerts: string[];
}

export async function closeUnprotected(input: {
  gateway: ExchangePort;
  trade: Trade;
  quantity: number;
  generation: number;
  chunk: number;
  why: { kind: string; message: string };
  limits: MarketLimits;
  log: OmsLogger;
}): Promise<MarketFallback> {
  const { gateway, trade, quantity, why, log } = input;
  const alert = (status: MarketFallback['status'], message: string, events: TradeEvent[] = []): MarketFallback => {
    log.error(`[oms] ALERT ${message}`, { tradeId: trade.id, symbol: trade.symbol, status });
    return { status, events, alerts: [message] };
  };
  if (!(quantity > 0) || compare(toDecimal(quantity), toDecimal(input.limits.minAmount)) < 0) {
    return alert('UNPROTECTED', `${trade.id}: protection refused (${why.message}); ${quantity} ${trade.symbol} is too small to close at market and stays UNPROTECTED`);
  }
  const cid = marketCloseClientId(trade.id, input.generation, input.chunk);
  try {
    const order = await gateway.placeMarketOrder({ symbol: trade.symbol, side: exitSide(trade), quantity, clientOrderId: cid });
    const fills = order.filled > 0 ? await gateway.fetchOrderFills(trade.symbol, order.exchangeOrderId) : [];
    const events = fills.map((f) => exitEventForFill(trade, order, f)).filter((e): e is TradeEvent => !!e);
    return alert(
      'CLOSED_AT_MARKET',
      `${trade.id}: the exchange REFUSED the protection of ${quantity} ${trade.symbol} (${why.kind}: ${why.message}); ` +
        `that quantity was CLOSED AT MARKET (order ${cid}, filled ${order.filled}) rather than left without a stop`,
      events,
    );
  } catch (err) {
    const c = classifyExchangeError(err);
    if (c.retryable) throw err;
    return alert(
      'UNPROTECTED',
      `${trade.id}: protection refused (${why.message}) AND the market close of ${quantity} ${trade.symbol} refused (${c.message}): ` +
        `the quantity is UNPROTECTED, act now`,
    );
  }
}
