import { RiskConfig } from '../../src/config/schema';
import type { Candle } from '../../src/domain/market';
import type { Trade } from '../../src/domain/trade';
import { candleFilePath, readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { buildMarketSnapshot } from '../../src/strategist/marketSnapshot';
import type { StrategistRequest } from '../../src/strategist/strategist';

/**
 * Strategist requests as the backtest makes them, from the real shared candles: the snapshot holds
 * only candles closed at the decision time (open time + 15m <= at).
 */

const TF = 15 * 60_000;
const cache = new Map<string, Candle[]>();

export function candlesOf(symbol: string): Candle[] {
  let candles = cache.get(symbol);
  if (!candles) {
    candles = readCandleFile(candleFilePath(sharedCandlesDir(), symbol, '15m'));
    cache.set(symbol, candles);
  }
  return candles;
}

export function closedBefore(symbol: string, at: number, count = 200): Candle[] {
  const all = candlesOf(symbol);
  const closed = all.filter((c) => c.timestamp + TF <= at && c.timestamp + TF > at - count * TF);
  if (closed.length === 0) throw new Error(`no ${symbol} candles closed before ${new Date(at).toISOString()}`);
  return closed;
}

export function requestAt(symbol: string, at: number, trade: Trade | null = null): StrategistRequest {
  const candles = closedBefore(symbol, at);
  const last = candles[candles.length - 1]!.close;
  const snapshot = buildMarketSnapshot({ symbol, ticker: { last, bid: null, ask: null, timestamp: at }, candles: [{ timeframe: '15m', candles }] });
  return {
    symbol,
    trade,
    snapshot,
    context: { symbol, trade, lastPrice: last, risk: RiskConfig.parse({}), marketType: 'spot', openTradesCount: trade ? 1 : 0 },
  };
}
