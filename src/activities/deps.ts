import type { Client } from '@temporalio/client';
import type { Timeframe } from '../config/schema';
import type { OrderMonitorInput } from '../contract/monitorState';
import type { RiskLimits } from '../domain/risk';
import type { ExchangePort, MarketDataPort, UserStreamPort } from '../exchange/port';
import type { TradeLog } from '../journal/tradeLog';
import type { Strategist } from '../strategist/strategist';
import type { MarketGuardDeps } from './marketGuard';
import type { PortfolioInput } from '../contract/portfolioState';

/**
 * What the activities are built from. The worker makes these once per process (one shared,
 * rate-limited ccxt client behind the gateway, one strategist, one trade log writer) and injects
 * them; activity inputs never carry credentials.
 */
export interface ActivityDeps {
  gateway: ExchangePort & MarketDataPort;
  strategist: Strategist;
  tradeLog: TradeLog;
  /** the config's timeframes (first is the cycle's own) and risk limits */
  timeframes: readonly Timeframe[];
  risk: RiskLimits;
  /**
   * every credential the worker holds (exchange key and secret, LLM key): masked in every result
   * and failure, which the Web UI shows
   */
  secrets: readonly (string | undefined)[];
  /** strategist.max_reasoning_chars (default 1000): a command's reasoning is cut past it */
  maxReasoningChars?: number;
  /** the stale-data guard (market_data in the config); default: its defaults, watch in memory */
  marketGuard?: MarketGuardDeps;
  /** candles fetched per timeframe: enough history for EMA50 / ATR14 / RSI14 to settle */
  candleLimit?: number;
  /** client for signalling the order monitor; defaults to the worker's own (Context.client) */
  temporalClient?: Client;
  /** input of the order monitor when watchOrders has to start it */
  orderMonitor?: OrderMonitorInput;
  /**
   * the account's user-data stream, where the venue and mode have one (exchange.user_stream): the
   * order monitor streams through it; without it the monitor polls
   */
  userStream?: UserStreamPort;
  /** input of the portfolio workflow when requestSlot has to start it (from the config's risk limits) */
  portfolio?: PortfolioInput;
}
