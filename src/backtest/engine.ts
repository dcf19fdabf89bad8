import { defaultMarketGuard, type MarketGuardDeps } from '../activities/marketGuard';
import type { RiskConfig } from '../config/schema';
import { parseDuration } from '../config/schema';
import type { MarketDataLimits } from '../domain/marketDataGuard';
import { FeedWatch } from '../marketdata/feedWatch';
import type { LlmModelConfig } from '../config/schema';
import type { CompletionUsage } from '../strategist/llmStrategist';
import type { Prompt } from '../strategist/prompt';
import { BacktestJournal, type JournalRow } from './backtestJournal';
import { accountEquity, BacktestPortfolio, type BacktestEnvelopeOptions } from './envelope';
import type { Candle } from '../domain/market';
import { entryClientId, parseClientId } from '../oms';
import type { Strategist, StrategistRequest } from '../strategist/strategist';
import { BacktestTrader, type PendingDecision } from './backtestTrader';
import type { SymbolData } from './data';
import { SimulatedExchange } from './exchange/simulatedExchange';
import { MarketView, type IndicatorMode } from './marketView';
import type { EquityPoint, LlmUsage, OrderRecord, StrategistRun } from './runTypes';

/**
 * One strategist over the window, on its own paper account: the market replayed candle by candle
 * through the in-process exchange (finer candles inside each decision candle when there are any),
 * after each candle the order events through every symbol's trader, and every `step` decision
 * candles one cycle per symbol. Deterministic: the same inputs give the same run.
 */

export interface EngineOptions {
  data: readonly SymbolData[];
  from: number;
  to: number;
  /** the config's timeframes; the first is the decision timeframe */
  timeframes: readonly string[];
  cycleIntervalMs: number;
  decideEvery: number;
  balances: Record<string, number>;
  quoteCurrency: string;
  feeRate: number;
  risk: RiskConfig;
  indicators?: IndicatorMode;
  candleLimit?: number;
  /**
   * the live risk envelope (portfolio slots and kill switch, cooldown, trades per day, entry
   * expiry); absent, the traders run as live ones started without it (the parity test's path)
   */
  envelope?: BacktestEnvelopeOptions;
  /** the stale-data guard's limits (config market_data over the cycle interval); default: the config's defaults */
  marketData?: MarketDataLimits;
  /** strategist.max_reasoning_chars (the strategist step's bound on a command's reasoning); default 1000 */
  maxReasoningChars?: number;
  /** one order takes at most this share of a candle's volume (the simulator's fill participation); default 0.1 */
  participation?: number;
}

export interface StrategistSpec {
  name: string;
  kind: 'rules' | 'llm' | 'custom';
  strategist: Strategist;
  /** LLM calls, cache hits and tokens so far (LLM strategists) */
  usage?: () => LlmUsage;
  /** USD of one decision's tokens at the model's prices (null: no prices) */
  costOf?: (usage: CompletionUsage) => number | null;
  /** LLM strategists: the model, its config entry (prices, training cutoff) and the prompt it would send */
  llm?: { model: string; prices?: LlmModelConfig; promptFor: (request: StrategistRequest) => Prompt };
}

export interface EngineHooks {
  /** bounds the strategist calls in flight (shared by every strategist of the run) */
  limit?: <T>(work: () => Promise<T>) => Promise<T>;
  /** after every decision candle */
  onCandle?: (progress: { strategist: string; done: number; total: number; trades: number }) => void;
}

export interface StrategistResult {
  run: StrategistRun;
  rows: JournalRow[];
  /** the account's exchange as the run left it (orders, fills, balances) */
  exchange: SimulatedExchange;
}

/** index of each symbol's first candle inside the window and one past its last (closed by `to`) */
export function windowOf(candles: readonly Candle[], from: number, to: number, periodMs: number): { start: number; end: number } {
  let start = 0;
  while (start < candles.length && candles[start]!.timestamp < from) start++;
  let end = start;
  while (end < candles.length && candles[end]!.timestamp + periodMs <= to) end++;
  return { start, end };
}

/**
 * Before any strategist runs: how many decisions each strategist will make (every symbol at every
 * decision point) and the request of the first one (for the LLM's token estimate).
 */
export function decisionPlan(opts: EngineOptions): { decisions: number; sampleRequest: () => StrategistRequest } {
  const periodMs = parseDuration(opts.timeframes[0]!);
  const step = Math.max(1, Math.round(opts.cycleIntervalMs / periodMs)) * opts.decideEvery;
  const opens = new Set<number>();
  for (const d of opts.data) {
    const { start, end } = windowOf(d.decision, opts.from, opts.to, periodMs);
    for (let i = Math.max(1, start); i < end; i++) opens.add(d.decision[i]!.timestamp);
  }
  const decisions = Math.floor(opens.size / step) * opts.data.length;
  const sampleRequest = (): StrategistRequest => {
    const d = opts.data[0]!;
    const { start, end } = windowOf(d.decision, opts.from, opts.to, periodMs);
    const revealed = Math.min(end, Math.max(1, start) + step);
    const newest = d.decision[revealed - 1]!;
    const view = new MarketView({ symbol: d.symbol, candles: d.decision, timeframes: opts.timeframes, indicators: opts.indicators ?? 'window', ...(opts.candleLimit ? { candleLimit: opts.candleLimit } : {}) });
    const snapshot = view.snapshot(revealed, { symbol: d.symbol, last: newest.close, bid: newest.close, ask: newest.close, timestamp: newest.timestamp + periodMs - 1 });
    return { symbol: d.symbol, trade: null, snapshot, context: { symbol: d.symbol, trade: null, lastPrice: snapshot.last, risk: opts.risk, marketType: 'spot', openTradesCount: 0 } };
  };
  return { decisions, sampleRequest };
}

export async function runStrategist(opts: EngineOptions, spec: StrategistSpec, hooks: EngineHooks = {}): Promise<StrategistResult> {
  const periodMs = parseDuration(opts.timeframes[0]!);
  const step = Math.max(1, Math.round(opts.cycleIntervalMs / periodMs)) * opts.decideEvery;
  const exchange = new SimulatedExchange({ symbols: opts.data.map((d) => d.symbol), balances: opts.balances, feeRate: opts.feeRate, ...(opts.participation !== undefined ? { participation: opts.participation } : {}) });
  const limit = hooks.limit ?? ((work) => work());
  const journalPrefix = `backtest:${spec.name}`;
  // the market clock is the guard's wall clock: a gap in the data is a feed that stopped
  const guard: MarketGuardDeps = { ...defaultMarketGuard(), ...(opts.marketData ? { limits: opts.marketData } : {}), watch: new FeedWatch() };
  const portfolioJournal = new BacktestJournal(journalPrefix, 'PORTFOLIO', () => exchange.clock, () => 0);
  const portfolio = opts.envelope ? new BacktestPortfolio(opts.envelope.portfolio, portfolioJournal) : null;
  const share = (opts.balances[opts.quoteCurrency] ?? 0) / Math.max(1, opts.data.length);

  const symbols = opts.data.map((d) => {
    const { start, end } = windowOf(d.decision, opts.from, opts.to, periodMs);
    // the candles before the window are history the strategist may see; at least one seeds the price
    const first = Math.max(1, start);
    const seed = d.decision[first - 1]!;
    exchange.seed(d.symbol, seed, seed.timestamp + periodMs);
    const fineMs = d.matching ? parseDuration(d.matchingTimeframe) : 0;
    return {
      d,
      next: first,
      end,
      finePtr: d.matching ? windowOf(d.matching, seed.timestamp + periodMs, Infinity, fineMs).start : 0,
      fineMs,
      trader: new BacktestTrader(d.symbol, exchange, spec.strategist, opts.risk, journalPrefix, {
        guard,
        ...(portfolio ? { envelope: { rules: opts.envelope!.rules, portfolio } } : {}),
        ...(spec.costOf ? { costOf: spec.costOf } : {}),
        ...(opts.maxReasoningChars !== undefined ? { maxReasoningChars: opts.maxReasoningChars } : {}),
      }),
      equity: [] as EquityPoint[],
      view: new MarketView({ symbol: d.symbol, candles: d.decision, timeframes: opts.timeframes, indicators: opts.indicators ?? 'window', ...(opts.candleLimit ? { candleLimit: opts.candleLimit } : {}) }),
    };
  });
  const timeline = [...new Set(symbols.flatMap((s) => s.d.decision.slice(s.next, s.end).map((c) => c.timestamp)))].sort((a, b) => a - b);

  // the portfolio's equity readings and the halts they trigger, after every matched candle
  const readEquity = async (): Promise<void> => {
    const halt = portfolio?.read(exchange, opts.quoteCurrency, exchange.clock);
    if (halt) for (const s of symbols) await s.trader.onHalt(halt);
  };
  await readEquity();

  const equity: EquityPoint[] = [];
  let done = 0;
  for (const openAt of timeline) {
    const closeAt = openAt + periodMs;
    const moving = symbols.filter((s) => s.next < s.end && s.d.decision[s.next]!.timestamp === openAt);
    await matchDecisionCandle(exchange, moving, openAt, closeAt, readEquity);
    for (const s of moving) s.next++;
    done++;
    if (done % step === 0) {
      // as each symbol's workflow: the cycle's sequence and entry expiry, then market data and the strategist
      const sequences: number[] = [];
      for (const s of symbols) sequences.push(await s.trader.startCycle());
      const pending: PendingDecision[] = await Promise.all(
        symbols.map(async (s, i) => {
          let snapshot;
          try {
            snapshot = s.view.snapshot(s.next, await exchange.fetchTicker(s.d.symbol));
          } catch (err) {
            return s.trader.marketDataFailed(sequences[i]!, err);
          }
          return limit(() => s.trader.decide(sequences[i]!, snapshot, !moving.includes(s)));
        }),
      );
      for (const [i, s] of symbols.entries()) await s.trader.act(pending[i]!);
    }
    equity.push({ at: closeAt, equity: accountEquity(exchange, opts.quoteCurrency).equity });
    for (const s of symbols) s.equity.push({ at: closeAt, equity: s.trader.equity(share, exchange.engine.price(s.d.symbol) ?? 0) });
    hooks.onCandle?.({ strategist: spec.name, done, total: timeline.length, trades: symbols.reduce((n, s) => n + s.trader.trades.size, 0) });
  }

  const run: StrategistRun = {
    name: spec.name,
    kind: spec.kind,
    symbols: symbols.map((s) => {
      const { start, end } = windowOf(s.d.decision, opts.from, opts.to, periodMs);
      return {
        symbol: s.d.symbol,
        candles: s.d.decision.slice(start, end),
        trades: [...s.trader.trades.values()],
        decisions: s.trader.decisions,
        orders: ordersOf(exchange, s.d.symbol, [...s.trader.trades.keys()]),
        equity: s.equity,
      };
    }),
    equity,
  };
  if (spec.usage) run.llm = spec.usage();
  if (portfolio) run.halts = portfolio.halts.map((h) => ({ kind: h.kind, reason: h.reason, since: h.since }));
  return { run, rows: [...portfolioJournal.rows, ...symbols.flatMap((s) => s.trader.journal.rows)], exchange };
}

type Replayed = { d: SymbolData; next: number; finePtr: number; fineMs: number; trader: BacktestTrader };

/**
 * One decision candle of every symbol that has one: its finer candles in time order across symbols
 * when there are any (as a finer replay feed would reveal them), else the candle itself; after each
 * step the order events of every symbol that moved.
 */
async function matchDecisionCandle(exchange: SimulatedExchange, moving: Replayed[], openAt: number, closeAt: number, afterStep: () => Promise<void>): Promise<void> {
  const fine = new Map<Replayed, Candle[]>();
  for (const s of moving) {
    const inside: Candle[] = [];
    const m = s.d.matching;
    if (m) {
      while (s.finePtr < m.length && m[s.finePtr]!.timestamp < openAt) s.finePtr++;
      while (s.finePtr < m.length && m[s.finePtr]!.timestamp < closeAt) inside.push(m[s.finePtr++]!);
    }
    fine.set(s, inside);
  }
  const steps = [...new Set([...fine.values()].flatMap((cs) => cs.map((c) => c.timestamp)))].sort((a, b) => a - b);
  for (const t of steps) {
    const now: Replayed[] = [];
    for (const s of moving) {
      const c = fine.get(s)!.find((x) => x.timestamp === t);
      if (!c) continue;
      exchange.match(s.d.symbol, c, t + s.fineMs);
      now.push(s);
    }
    for (const s of now) await s.trader.onMarketMoved();
    await afterStep();
  }
  // a symbol without finer candles here is matched on the decision candle (gaps in the finer data)
  const coarse = moving.filter((s) => fine.get(s)!.length === 0);
  for (const s of coarse) exchange.match(s.d.symbol, s.d.decision[s.next]!, closeAt);
  for (const s of coarse) await s.trader.onMarketMoved();
  exchange.clock = closeAt;
  if (coarse.length > 0 || steps.length === 0) await afterStep();
}

/** every order the OMS sent for the symbol, in the order the exchange received them */
function ordersOf(exchange: SimulatedExchange, symbol: string, tradeIds: string[]): OrderRecord[] {
  const byKey = new Map(tradeIds.map((id) => [parseClientId(entryClientId(id))?.key, id]));
  return exchange.engine.state.orders
    .filter((o) => o.symbol === symbol)
    .map((o): OrderRecord => {
      const r: OrderRecord = {
        at: o.time,
        tradeId: byKey.get(parseClientId(o.clientOrderId)?.key) ?? '',
        clientOrderId: o.clientOrderId,
        type: o.type,
        side: o.side === 'BUY' ? 'buy' : 'sell',
        quantity: o.origQty,
      };
      if (o.price > 0) r.price = o.price;
      if (o.stopPrice > 0) r.stopPrice = o.stopPrice;
      return r;
    });
}
