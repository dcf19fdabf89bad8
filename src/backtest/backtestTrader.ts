import { omsSteps } from '../activities/omsSteps';
import type { OmsResult } from '../domain/omsResult';
import { marketRefusal, strategistDecision } from '../activities/strategist';
import type { MarketGuardDeps } from '../activities/marketGuard';
import type { RiskConfig } from '../config/schema';
import { isOpen, openQuantity, type Trade } from '../domain/trade';
import { CONSOLE_OMS_LOGGER, OrderTracker } from '../oms';
import type { MarketSnapshot } from '../strategist/marketSnapshot';
import { FatalStrategistError, type Strategist } from '../strategist/strategist';
import { failedDecision, recordDecision, setOutcome, type CycleDecision } from '../workflows/decisions';
import { describeOmsResult } from '../workflows/describe';
import { SeenEvents } from '../workflows/seenEvents';
import { freshState } from '../workflows/traderStart';
import type { SymbolTraderState } from '../contract/traderState';
import { TradeKeeper } from '../workflows/tradeKeeper';
import type { DecisionRecord } from './runTypes';
import { BacktestJournal } from './backtestJournal';
import type { SimulatedExchange } from './exchange/simulatedExchange';
import { SymbolEnvelope, type BacktestPortfolio } from './envelope';
import type { SymbolEntryRules } from '../domain/envelope/limits';
import type { CompletionUsage } from '../strategist/llmStrategist';

/**
 * One symbol of one strategist over history: the symbolTrader workflow's cycle (src/workflows/
 * symbolTrader.ts runCycle) without Temporal. The same steps in the same order: a sequence number
 * per cycle, the strategist step with its validation, recordDecision, the OMS step, the journal
 * row, and the trader core (TradeKeeper) for the result and every order event, whose effects run
 * the OMS steps directly. Order events come from the OMS's OrderTracker after each matched candle,
 * as the order monitor would deliver them. Nothing here runs concurrently, so the workflow's
 * "trade changed while the strategist was thinking" and stop cases cannot arise. The market-data
 * guard of askStrategist judges every snapshot (the market clock as its wall clock), and with an
 * envelope the trader applies the live risk envelope (./envelope.ts) where TraderEnvelope does.
 */

export interface TraderOptions {
  guard: MarketGuardDeps;
  /** the risk envelope; absent, the trader runs as a live one started without it */
  envelope?: { rules: SymbolEntryRules; portfolio: BacktestPortfolio };
  /** USD of one decision's tokens at the model's prices (null: no prices) */
  costOf?: (usage: CompletionUsage) => number | null;
  /** strategist.max_reasoning_chars: a command's reasoning is cut past it, as the worker passes it live */
  maxReasoningChars?: number;
}
export interface PendingDecision {
  sequence: number;
  decision: CycleDecision;
  /** null: the market data could not be built (the workflow's MARKET_DATA_FAILED cycle) */
  snapshot: MarketSnapshot | null;
  stale: boolean;
}

export class BacktestTrader {
  readonly state: SymbolTraderState;
  readonly journal: BacktestJournal;
  readonly decisions: DecisionRecord[] = [];
  /** every trade the symbol had, by id, as the state machine left it */
  readonly trades = new Map<string, Trade>();
  readonly #keeper: TradeKeeper;
  readonly #tracker: OrderTracker;
  readonly #steps: ReturnType<typeof omsSteps>;
  readonly #envelope: SymbolEnvelope | null;
  /** realized PnL of the trades that ended, for the symbol's equity curve */
  #settledPnl = 0;
  readonly #settled = new Set<string>();

  constructor(
    readonly symbol: string,
    private readonly exchange: SimulatedExchange,
    private readonly strategist: Strategist,
    private readonly risk: RiskConfig,
    journalPrefix: string,
    private readonly options: TraderOptions,
  ) {
    this.state = freshState({ symbol, cycleIntervalMs: 0, mode: 'backtest' });
    this.state.phase = 'WAITING';
    this.journal = new BacktestJournal(journalPrefix, symbol, () => exchange.clock, () => this.state.sequence);
    const gateway = exchange.asGateway();
    this.#steps = omsSteps({ gateway, risk, scrub: (t) => t, log: CONSOLE_OMS_LOGGER });
    this.#tracker = new OrderTracker(gateway);
    const seen = new SeenEvents(this.state);
    const journal = this.journal.add.bind(this.journal);
    this.#keeper = new TradeKeeper({
      getTrade: () => this.state.trade,
      setTrade: (trade) => this.#setTrade(trade),
      journal,
      seen,
      log: { warn: () => {}, info: () => {} },
      // in process there is no transient failure to ride out: a failing step is a bug, and stops the run
      attempt: (_what, work) => work(),
      ensureProtection: (input) => this.#steps.ensureProtection(input),
      cancelPendingOrder: (input) => this.#steps.cancelPendingOrder(input),
      cancelProtection: (input) => this.#steps.cancelProtection(input),
      // as the workflow from its patch on: protection placed after a fill has ORDER rows of its own
      protectionOrderRows: () => true,
    });
    const env = options.envelope;
    this.#envelope = env
      ? new SymbolEnvelope(symbol, env.rules, env.portfolio, exchange, {
          journal,
          cancelPending: async (trade, reason) => this.#keeper.adopt(await this.#steps.cancelPendingOrder({ trade, reason })),
          flattenPosition: (trade, reason) => this.#steps.flattenPosition({ trade, reason }),
          adopt: (result) => this.#keeper.adopt(result),
          trade: () => this.state.trade,
          sequence: () => this.state.sequence,
        })
      : null;
  }

  openTrade(): Trade | null {
    return isOpen(this.state.trade) ? this.state.trade : null;
  }

  /** after a candle was matched: what the order monitor would report, through the state machine */
  async onMarketMoved(): Promise<void> {
    const trade = this.openTrade();
    if (!trade) return;
    const events = await this.#tracker.trackOrders([trade]);
    if (events.length > 0) await this.#keeper.applyEvents(events);
    if (this.#envelope) {
      await this.#envelope.expireEntry(this.exchange.clock);
      this.#envelope.settle(this.exchange.clock);
    }
  }

  /** the portfolio HALTED: the PENDING entry is cancelled, an ACTIVE position keeps its protection or is flattened (flatten_on_halt) */
  async onHalt(halt: Parameters<SymbolEnvelope['onHalt']>[0]): Promise<void> {
    if (!this.#envelope) return;
    await this.#envelope.onHalt(halt);
    this.#envelope.settle(this.exchange.clock);
  }

  /** a cycle's start, before its market data: its sequence number, and an entry past entry_timeout cancelled */
  async startCycle(): Promise<number> {
    this.state.lastCycleAt = this.exchange.clock;
    const sequence = ++this.state.sequence;
    await this.#envelope?.expireEntry(this.exchange.clock);
    return sequence;
  }

  /** the symbol's own equity: its share of the start plus its realized PnL and its open position marked to `last` */
  equity(share: number, last: number): number {
    const t = this.openTrade();
    if (!t) return share + this.#settledPnl;
    let cash = 0;
    for (const f of t.entryFills) cash -= f.quantity * f.price + f.fee;
    for (const f of t.exitFills) cash += f.quantity * f.price - f.fee;
    return share + this.#settledPnl + cash + openQuantity(t) * last;
  }

  /**
   * The first half of a cycle at the market clock, on the snapshot fetchMarketData would have
   * returned: the sequence number and the strategist's validated command. Strategists of several
   * symbols may think at once; `act` then runs in a fixed symbol order (one account, sizing from its equity).
   */
  async decide(sequence: number, snapshot: MarketSnapshot, stale: boolean): Promise<PendingDecision> {
    this.state.lastPrice = { price: snapshot.last, at: snapshot.at };
    let decision: CycleDecision;
    try {
      const input = { symbol: this.symbol, sequence, trade: this.openTrade(), market: snapshot };
      decision = marketRefusal(this.options.guard, snapshot, this.strategist.kind, this.exchange.clock) ?? (await strategistDecision({ strategist: this.strategist, risk: this.risk, ...(this.options.maxReasoningChars !== undefined ? { maxReasoningChars: this.options.maxReasoningChars } : {}) }, input));
    } catch (err) {
      if (err instanceof FatalStrategistError) throw err;
      decision = failedDecision('STRATEGIST_FAILED', `the strategist failed: ${(err as Error).message}`);
    }
    return { sequence, decision, snapshot, stale };
  }

  /** the cycle's market data failed (e.g. no candle of a timeframe yet): recorded, nothing asked or done, as live */
  marketDataFailed(sequence: number, err: unknown): PendingDecision {
    return { sequence, decision: failedDecision('MARKET_DATA_FAILED', `market data unavailable: ${(err as Error).message}`), snapshot: null, stale: false };
  }

  /** the second half: the decision journaled and carried out by the OMS, its result through the trader core */
  async act({ sequence, decision, snapshot, stale }: PendingDecision): Promise<DecisionRecord> {
    const state = this.state;
    const at = this.exchange.clock;
    const record: DecisionRecord = { at, command: decision.command, accepted: decision.accepted, outcome: 'NOTHING_TO_DO' };
    if (decision.rejection) record.rejection = { ...decision.rejection };
    if (stale) record.stale = true;
    if (decision.usage) {
      record.tokens = { prompt: decision.usage.promptTokens, completion: decision.usage.completionTokens };
      const cost = decision.cached ? 0 : this.options.costOf?.(decision.usage);
      if (cost !== undefined && cost !== null) record.cost = cost;
    }
    if (decision.cached) record.cached = true;
    this.decisions.push(record);

    const command = decision.command;
    if (!snapshot) {
      recordDecision(state, this.journal, sequence, decision, 'NOT_EXECUTED');
      record.outcome = 'NOT_EXECUTED';
      return record;
    }
    if (command.action === 'DO_NOTHING') {
      recordDecision(state, this.journal, sequence, decision, 'NOTHING_TO_DO');
      return record;
    }
    const refusal = command.action === 'PLAN_TRADE' && this.#envelope ? await this.#envelope.admit(sequence, command, at) : null;
    if (refusal) {
      // the risk envelope's word is final: nothing reaches the exchange (as the symbolTrader workflow)
      recordDecision(state, this.journal, sequence, decision, 'REJECTED', `${refusal.code}: ${refusal.reason}`);
      this.journal.add('REJECTION', `${refusal.code}: ${refusal.reason}`, undefined, refusal.code);
      record.accepted = false;
      record.outcome = 'REJECTED';
      record.rejection = { stage: 'envelope', code: refusal.code, reason: refusal.reason };
      this.#envelope!.settle(at);
      return record;
    }
    recordDecision(state, this.journal, sequence, decision);
    const result: OmsResult = await this.#steps.executeAiCommand({
      symbol: this.symbol,
      sequence,
      command,
      trade: this.openTrade(),
      lastPrice: snapshot.last,
      now: at,
    });
    const detail = result.outcome === 'REJECTED' ? result.rejection?.reason ?? 'rejected by the OMS' : describeOmsResult(command, result);
    setOutcome(state, result.outcome, detail);
    record.outcome = result.outcome;
    if (result.outcome === 'REJECTED' && result.rejection) {
      record.rejection = { stage: result.rejection.stage ?? 'oms', code: result.rejection.code, reason: result.rejection.reason };
    }
    this.journal.add(result.outcome === 'REJECTED' ? 'REJECTION' : 'ORDER', `${command.action} ${result.outcome}: ${detail}`, result.trade ?? state.trade ?? undefined, command.action);
    await this.#keeper.adopt(result);
    this.#envelope?.settle(at);
    return record;
  }

  #setTrade(trade: Trade | null): void {
    this.state.trade = trade;
    if (!trade) return;
    this.trades.set(trade.id, trade);
    if ((trade.status === 'CLOSED' || trade.status === 'CANCELLED') && !this.#settled.has(trade.id)) {
      this.#settled.add(trade.id);
      this.#settledPnl += trade.realizedPnl ?? 0;
    }
  }
}
