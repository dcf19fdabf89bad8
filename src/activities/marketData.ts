import { canonicalSymbol } from '../domain/symbols';
import type { Candle } from '../domain/market';
import { parseDuration } from '../config/schema';
import { buildMarketSnapshot, type MarketSnapshot } from '../strategist/marketSnapshot';
import type { ActivityDeps } from './deps';
import { makeScrub, runStep } from './failures';
import { withHeartbeat } from './heartbeat';

export const DEFAULT_CANDLE_LIMIT = 200;

/** fetchMarketData: ticker and closed candles per timeframe through the gateway, as the prompt's snapshot. */
export function marketDataActivities(deps: Pick<ActivityDeps, 'gateway' | 'timeframes' | 'candleLimit' | 'secrets'>) {
  const scrub = makeScrub(deps.secrets);
  return {
    async fetchMarketData(input: { symbol: string }): Promise<MarketSnapshot> {
      return runStep('fetchMarketData', scrub, () =>
        withHeartbeat(async () => {
          const symbol = canonicalSymbol(input.symbol);
          const ticker = await deps.gateway.fetchTicker(symbol);
          const candles: Array<{ timeframe: string; candles: Candle[] }> = [];
          for (const timeframe of deps.timeframes) {
            const rows = await deps.gateway.fetchCandles(symbol, timeframe, deps.candleLimit ?? DEFAULT_CANDLE_LIMIT);
            candles.push({ timeframe, candles: closedCandles(rows, timeframe, ticker.timestamp) });
          }
          return buildMarketSnapshot({ symbol, ticker, candles });
        }),
      );
    },
  };
}

/**
 * The exchange's last kline is the one still forming: its close moves until the period ends, so
 * indicators over it would change within the cycle. Only candles closed at the ticker's time count
 * (the market's clock, which in a replay is not the wall clock).
 */
export function closedCandles(candles: readonly Candle[], timeframe: string, at: number): Candle[] {
  const period = parseDuration(timeframe);
  return candles.filter((c) => c.timestamp + period <= at);
}
