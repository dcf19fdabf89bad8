import type { AiCommand } from '../domain/commands';
import type { Candle } from '../domain/market';
import type { Trade } from '../domain/trade';

/**
 * What one backtest run produced: the contract between the engine (src/backtest/engine*, which fills
 * it) and the report (src/backtest/report/*, which only reads it). Plain JSON values only, so a run
 * can be written to disk and a report rebuilt from it. Times are epoch ms, money in the quote currency.
 */
export interface BacktestRun {
  /** the run's parameters as given (symbols, window, strategists, flags), for report.json */
  params: BacktestParams;
  /** every data file read, with its sha256, for reproducibility */
  dataFiles: { path: string; sha256: string; candles: number; firstAt: number; lastAt: number }[];
  /** git commit (or package version) of the code that ran */
  codeVersion: string;
  /** one entry per strategist, in the order given, baselines included (kind 'baseline') */
  strategists: StrategistRun[];
  /** loud warnings for the report (e.g. window before a model's training cutoff, masked or not) */
  warnings: string[];
}

export interface BacktestParams {
  symbols: string[];
  from: number;
  to: number;
  /** decision timeframe, e.g. '15m'; the matching timeframe when finer candles were found, e.g. '5m' */
  decisionTimeframe: string;
  matchingTimeframe: string;
  cycleIntervalMs: number;
  decideEvery: number;
  startingBalances: Record<string, number>;
  quoteCurrency: string;
  feeRate: number;
  masked: boolean;
  /** anything else worth recording (config path, cache mode, budgets) */
  extra?: Record<string, unknown>;
}

export interface StrategistRun {
  /** e.g. 'rules', 'llm gpt-4o-mini', './my-strategy.ts', 'cash', 'buy-and-hold' */
  name: string;
  kind: 'rules' | 'llm' | 'custom' | 'baseline';
  symbols: SymbolRun[];
  /** portfolio equity (all symbols, one account), marked to market at every decision-timeframe close */
  equity: EquityPoint[];
  llm?: LlmUsage;
  /** the risk envelope's kill switch: every halt of the run (absent when the envelope was off) */
  halts?: Array<{ kind: string; reason: string; since: number }>;
}

export interface SymbolRun {
  symbol: string;
  /** the decision timeframe's candles over the window, for the chart */
  candles: Candle[];
  /** every trade the engine made (any status), as the trade state machine left it */
  trades: Trade[];
  /** every decision, in time order */
  decisions: DecisionRecord[];
  /** every order the OMS sent, in order (for the parity test and the chart markers) */
  orders: OrderRecord[];
  /** the symbol's own equity contribution (its PnL marked to market on top of its share of the start), optional */
  equity?: EquityPoint[];
}

export interface EquityPoint {
  at: number;
  equity: number;
}

export interface DecisionRecord {
  at: number;
  command: AiCommand;
  accepted: boolean;
  /** e.g. 'EXECUTED' | 'REJECTED' | 'NOTHING_TO_DO' | 'NOT_EXECUTED' */
  outcome: string;
  rejection?: { stage: string; code: string; reason: string };
  /** decided on data that was stale (no new candle) */
  stale?: boolean;
  tokens?: { prompt: number; completion: number };
  /** USD of this decision's tokens at the model's configured prices (0 when answered from the cache) */
  cost?: number;
  cached?: boolean;
}

export interface OrderRecord {
  at: number;
  tradeId: string;
  clientOrderId: string;
  type: string;
  side: 'buy' | 'sell';
  price?: number;
  stopPrice?: number;
  quantity: number;
}

export interface LlmUsage {
  calls: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  /** in the config's price currency (USD), when per-model prices are configured */
  cost?: number;
}
