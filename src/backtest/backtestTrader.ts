import { omsSteps } from '../activities/omsSteps';
import type { OmsResult } from '../domain/omsResult';
import { strategistDecision } from '../activities/strategist';
import type { RiskConfig } from '../config/schema';
import { isOpen, type Trade } from '../domain/trade';
import { CONSOLE_OMS_LOGGER, OrderTracker } from '../oms';
import type { MarketSnapshot } from '../strategist/marketSnapshot';
import type { Strategist } from '../strategist/strategist';
import { failedDecision, recordDecision, setOutcome, type CycleDecision } from '../workflows/decisions';
import { describeOmsResult } from '../workflows/describe';
import { SeenEvents } from '../workflows/seenEvents';
import { freshState } from '../workflows/traderStart';
import type { SymbolTraderState } from '../contract/traderState';
import { TradeKeeper } from '../workflows/tradeKeeper';
import type { DecisionRecord } from './runTypes';
import { BacktestJournal } from './backtestJournal';
import type { SimulatedExchange } from './exchange/simulatedExchange';

/**
 * One symbol of one strategist over history: the symbolTrader workflow's cycle (src/workflows/
 * symbolTrader.ts runCycle) without Temporal. The same steps in the same order: a sequence number
 * per cycle, the strategist step with its validation, recordDecision, the OMS step, the journal
 * row, and the trader core (TradeKeeper) for the result and every order event, whose effects run
 * the OMS steps directly. Order events come from the OMS's OrderTracker after each matched candle,
 * as the order monitor would deliver them. Nothing here runs concurrently, so the workflow's
 * "trade changed while the strategist was thinking" and stop cases cannot arise.
 */
export interface PendingDecision {
  sequence: number;
  decision: CycleDecision;
  snapshot: MarketSnapshot;
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

  constructor(
    readonly symbol: string,
    private readonly exchange: SimulatedExchange,
    private readonly strategist: Strategist,
    private readonly risk: RiskConfig,
    journalPrefix: string,
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
    });
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
  }

  /**
   * The first half of a cycle at the market clock, on the snapshot fetchMarketData would have
   * returned: the sequence number and the strategist's validated command. Strategists of several
   * symbols may think at once; `act` then runs in a fixed symbol order (one account, sizing from its equity).
   */
  async decide(snapshot: MarketSnapshot, stale: boolean): Promise<PendingDecision> {
    const state = this.state;
    state.lastCycleAt = this.exchange.clock;
    const sequence = ++state.sequence;
    state.lastPrice = { price: snapshot.last, at: snapshot.at };
    let decision: CycleDecision;
    try {
      decision = await strategistDecision({ strategist: this.strategist, risk: this.risk }, { symbol: this.symbol, sequence, trade: this.openTrade(), market: snapshot });
    } catch (err) {
      decision = failedDecision('STRATEGIST_FAILED', `the strategist failed: ${(err as Error).message}`);
    }
    return { sequence, decision, snapshot, stale };
  }

  /** the second half: the decision journaled and carried out by the OMS, its result through the trader core */
  async act({ sequence, decision, snapshot, stale }: PendingDecision): Promise<DecisionRecord> {
    const state = this.state;
    const at = this.exchange.clock;
    const record: DecisionRecord = { at, command: decision.command, accepted: decision.accepted, outcome: 'NOTHING_TO_DO' };
    if (decision.rejection) record.rejection = { ...decision.rejection };
    if (stale) record.stale = true;
    this.decisions.push(record);

    const command = decision.command;
    if (command.action === 'DO_NOTHING') {
      recordDecision(state, this.journal, sequence, decision, 'NOTHING_TO_DO');
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
    return record;
  }

  #setTrade(trade: Trade | null): void {
    this.state.trade = trade;
    if (trade) this.trades.set(trade.id, trade);
  }
}
