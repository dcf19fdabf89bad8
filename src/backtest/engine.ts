import type { RiskConfig } from '../config/schema';
import { parseDuration } from '../config/schema';
import type { Candle } from '../domain/market';
import { entryClientId, parseClientId } from '../oms';
import type { Strategist } from '../strategist/strategist';
import type { JournalRow } from './backtestJournal';
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
}

export interface StrategistSpec {
  name: string;
  kind: 'rules' | 'llm' | 'custom';
  strategist: Strategist;
  /** LLM calls, cache hits and tokens so far (LLM strategists) */
  usage?: () => LlmUsage;
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

export async function runStrategist(opts: EngineOptions, spec: StrategistSpec, hooks: EngineHooks = {}): Promise<StrategistResult> {
  const periodMs = parseDuration(opts.timeframes[0]!);
  const step = Math.max(1, Math.round(opts.cycleIntervalMs / periodMs)) * opts.decideEvery;
  const exchange = new SimulatedExchange({ symbols: opts.data.map((d) => d.symbol), balances: opts.balances, feeRate: opts.feeRate });
  const limit = hooks.limit ?? ((work) => work());

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
      trader: new BacktestTrader(d.symbol, exchange, spec.strategist, opts.risk, `backtest:${spec.name}`),
      view: new MarketView({ symbol: d.symbol, candles: d.decision, timeframes: opts.timeframes, indicators: opts.indicators ?? 'window', ...(opts.candleLimit ? { candleLimit: opts.candleLimit } : {}) }),
    };
  });
  const timeline = [...new Set(symbols.flatMap((s) => s.d.decision.slice(s.next, s.end).map((c) => c.timestamp)))].sort((a, b) => a - b);

  const equity: EquityPoint[] = [];
  let done = 0;
  for (const openAt of timeline) {
    const closeAt = openAt + periodMs;
    const moving = symbols.filter((s) => s.next < s.end && s.d.decision[s.next]!.timestamp === openAt);
    await matchDecisionCandle(exchange, moving, openAt, closeAt);
    for (const s of moving) s.next++;
    done++;
    if (done % step === 0) {
      const pending: PendingDecision[] = await Promise.all(
        symbols.map(async (s) => {
          const snapshot = s.view.snapshot(s.next, await exchange.fetchTicker(s.d.symbol));
          return limit(() => s.trader.decide(snapshot, !moving.includes(s)));
        }),
      );
      for (const [i, s] of symbols.entries()) await s.trader.act(pending[i]!);
    }
    equity.push({ at: closeAt, equity: markToMarket(exchange, opts.quoteCurrency) });
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
      };
    }),
    equity,
  };
  if (spec.usage) run.llm = spec.usage();
  return { run, rows: symbols.flatMap((s) => s.trader.journal.rows), exchange };
}

type Replayed = { d: SymbolData; next: number; finePtr: number; fineMs: number; trader: BacktestTrader };

/**
 * One decision candle of every symbol that has one: its finer candles in time order across symbols
 * when there are any (as a finer replay feed would reveal them), else the candle itself; after each
 * step the order events of every symbol that moved.
 */
async function matchDecisionCandle(exchange: SimulatedExchange, moving: Replayed[], openAt: number, closeAt: number): Promise<void> {
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
  }
  // a symbol without finer candles here is matched on the decision candle (gaps in the finer data)
  const coarse = moving.filter((s) => fine.get(s)!.length === 0);
  for (const s of coarse) exchange.match(s.d.symbol, s.d.decision[s.next]!, closeAt);
  for (const s of coarse) await s.trader.onMarketMoved();
  exchange.clock = closeAt;
}

/** the account's worth in the quote currency: every asset at its market's last price */
export function markToMarket(exchange: SimulatedExchange, quote: string): number {
  const account = exchange.engine.account('backtest')!;
  let total = 0;
  for (const [asset, b] of Object.entries(account.balances)) {
    const held = b.free + b.locked;
    if (held === 0) continue;
    if (asset === quote) total += held;
    else total += held * (exchange.engine.price(`${asset}${quote}`) ?? 0);
  }
  return total;
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
