import type { MarketLimits } from '../domain/market';
import { roundToTick } from '../domain/sizing';
import type { Trade } from '../domain/trade';
import type { ProtectionSettings } from './types';

/** The stop leg of an OCO or an OTOCO's pair: a market STOP_LOSS, or a STOP_LOSS_LIMIT a little beyond its trigger. */

/** the stop leg's limit price: none for a market STOP_LOSS (the default), else stopLimitPrice */
export function stopLegLimitPrice(trade: Trade, stop: number, limits: MarketLimits, settings: ProtectionSettings): number | undefined {
  return settings.stopType === 'STOP_LOSS_LIMIT' ? stopLimitPrice(trade, stop, limits, settings) : undefined;
}

/** a STOP_LOSS_LIMIT's limit price: a little beyond the trigger, on the tick grid, away from the market */
export function stopLimitPrice(trade: Trade, stop: number, limits: MarketLimits, settings: ProtectionSettings): number {
  const long = trade.direction === 'LONG';
  const raw = long ? stop * (1 - settings.stopLimitSlippage) : stop * (1 + settings.stopLimitSlippage);
  const price = roundToTick(raw, limits.tickSize, long ? 'down' : 'up');
  return price > 0 ? price : limits.tickSize;
}

