import type { PercentPriceBand } from './priceEnvelope';

/** Venue-neutral market data shapes. Adapters (ccxt gateway, candle files) produce these. */

export interface Candle {
  /** open time, epoch milliseconds UTC */
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface Ticker {
  symbol: string;
  last: number;
  bid: number | null;
  ask: number | null;
  /** epoch ms of the quote */
  timestamp: number;
}

/** What sizing, price rounding and the price checks need to know about a market (ccxt reports these). */
export interface MarketLimits {
  symbol: string;
  /** price tick size, e.g. 0.01 */
  tickSize: number;
  /** amount step size, e.g. 0.00001 */
  amountStep: number;
  minAmount: number;
  /** minimum order value in quote currency */
  minNotional: number;
  /** PRICE_FILTER bounds (0: none published) */
  minPrice?: number;
  maxPrice?: number;
  /** PERCENT_PRICE_BY_SIDE / PERCENT_PRICE multipliers around the market price, when published */
  percentPrice?: PercentPriceBand;
}

export type { PercentPriceBand };
