import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { OrderMonitorActivities, PortfolioActivities, StreamOrdersResult, SymbolTraderActivities } from '../../src/activities';
import type { AccountEquity, SlotDraft } from '../../src/contract/portfolioState';
import type { OmsResult, StrategistDecision } from '../../src/contract/results';
import type { TradeLogRow } from '../../src/domain/tradeLogRow';
import type { MarketSnapshot } from '../../src/strategist/marketSnapshot';
import type { AiCommand } from '../../src/domain/commands';
import type { TradeEvent } from '../../src/domain/events';
import { holdingOf } from '../../src/activities/portfolio';
import { askForSlot, giveBackSlot } from '../../src/portfolioClient';
import type { TraderReport } from '../../src/domain/envelope/reconcileGrants';
import type { SlotDecision } from '../../src/domain/envelope/slots';
import { tradeIdFor } from '../../src/domain/newTrade';
import type { PortfolioInput } from '../../src/contract/portfolioState';
import { applyEvents } from '../../src/oms/applyEvents';
import type { OrderRef, Trade } from '../../src/domain/trade';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { watchSignal } from '../../src/contract/signals';

/**
 * Like the real OMS, every result carries the trade with the result's events already applied.
 *
 * Workflow tests replace the activities (which have tests of their own against the exchange
 * simulator) with this small in-memory exchange and a scripted strategist. It is a model, not a
 * recorder: orders it placed exist until filled or cancelled, fills are facts with stable event ids
 * that trackOrders re-reports on every look, exactly like the real tracker re-reading the exchange.
 *
 * Tests synchronise on what the workflow does (activity calls), never on time:
 * `await model.until(() => ..., 'what')` resolves when an activity call makes the condition true.
 */

export interface ActivityCall {
  name: string;
  input: any;
}

export type Script = (input: Parameters<SymbolTraderActivities['askStrategist']>[0]) => StrategistDecision | Promise<StrategistDecision>;

export const FEE = 0.1;

export class ExchangeModel implements SymbolTraderActivities, OrderMonitorActivities, PortfolioActivities {
  lastPrice = 100;
  readonly calls: ActivityCall[] = [];
  readonly rows = new Map<string, TradeLogRow>();
  /** exchange facts per trade id, in the order they happened */
  readonly facts = new Map<string, TradeEvent[]>();
  /** trades whose orders were placed, by id (the exchange's view: the first placement wins) */
  readonly placed = new Map<string, Trade>();
  /** set to route watchOrders through signal-with-start of the real monitor workflow */
  monitor: { client: Client; taskQueue: string; intervalMs: number; maxPollsPerRun?: number } | null = null;
  /** activities that fail for good (non-retryable), by name */
  readonly broken = new Set<string>();
  /** an entry limit that crosses the market fills as it is placed */
  fillOnPlacement = false;
  /** what reconcileSymbol reports as the highest trade sequence the exchange has seen (unset: not reported) */
  highestSequence: number | undefined;
  /** a trade reconcileSymbol found on the exchange and hands over when the workflow believes in none */
  recovered: Trade | null = null;
  script: Script = () => decision({ action: 'DO_NOTHING', reasoning: 'no setup' });
  /**
   * reconcileSymbol catches up as the real one does: the trade's exchange facts it has not applied
   * yet come back as events (applied to the returned trade). Off by default: most tests deliver
   * facts through the order events signal and count on reconciliation reporting nothing.
   */
  reconcileCatchesUp = false;
  /** set to route slots to the real portfolio workflow; unset, every slot is granted (no portfolio) */
  portfolio: { client: Client; taskQueue: string; input?: PortfolioInput } | null = null;
  /** what readAccountEquity reports (the account's value and the market time of its prices) */
  equity = 10_000;
  equityAt = Date.UTC(2021, 4, 19, 0, 0);
  #waiters: Array<{ check: () => boolean; resolve: () => void }> = [];
  #clock = 1_700_000_000_000;

  /** the activity functions, bound, for Worker.create */
  activities(): SymbolTraderActivities & OrderMonitorActivities {
    const names = [
      'reconcileSymbol', 'fetchMarketData', 'askStrategist', 'executeAiCommand', 'ensureProtection',
      'cancelPendingOrder', 'cancelProtection', 'flattenPosition', 'watchOrders', 'appendTradeLog', 'trackOrders', 'streamOrders',
      'requestSlot', 'releaseSlot', 'readAccountEquity', 'listTraderHoldings',
    ] as const;
    return Object.fromEntries(names.map((n) => [n, (input: any) => this.#record(n, input)])) as any;
  }

  // ---- what tests look at --------------------------------------------------------------------

  callsOf(name: string): any[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input);
  }

  /** the sequence numbers the strategist was asked with, in order */
  strategistSequences(): number[] {
    return this.callsOf('askStrategist').map((i) => i.sequence);
  }

  journal(): TradeLogRow[] {
    return [...this.rows.values()];
  }

  hasRow(pred: (row: TradeLogRow) => boolean): boolean {
    return this.journal().some(pred);
  }

  /** resolves when the condition holds (checked now and after every activity call) */
  until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out waiting for: ${what}\nactivity calls: ${this.calls.map((c) => c.name).join(', ')}`));
      }, timeoutMs);
      const waiter = { check, resolve: () => (clearTimeout(timer), resolve()) };
      this.#waiters.push(waiter);
    });
  }

  // ---- what happens on the exchange (test-driven) --------------------------------------------

  fillEntry(tradeId: string, quantity?: number, price?: number): TradeEvent {
    const trade = this.#trade(tradeId);
    const n = this.#facts(tradeId).filter((e) => e.type === 'ENTRY_FILLED').length;
    return this.#fact({
      type: 'ENTRY_FILLED',
      eventId: `${tradeId}-E:fill:${n}`,
      tradeId,
      price: price ?? trade.entryPrice,
      quantity: quantity ?? trade.quantity,
      fee: FEE,
      at: this.#tick(),
    });
  }

  hitStop(tradeId: string, quantity?: number): TradeEvent {
    const trade = this.#trade(tradeId);
    return this.#fact({
      type: 'STOP_FILLED',
      eventId: `${tradeId}-SL:fill`,
      tradeId,
      price: trade.stopLossPrice,
      quantity: quantity ?? trade.quantity,
      fee: FEE,
      at: this.#tick(),
    });
  }

  hitTarget(tradeId: string, targetIndex: number, quantity: number): TradeEvent {
    const trade = this.#trade(tradeId);
    return this.#fact({
      type: 'TARGET_FILLED',
      eventId: `${tradeId}-TP${targetIndex}:fill`,
      tradeId,
      targetIndex,
      price: trade.takeProfitPrices[targetIndex]!,
      quantity,
      fee: FEE,
      at: this.#tick(),
    });
  }

  // ---- activities ----------------------------------------------------------------------------

  async reconcileSymbol(input: { symbol: string; trade: Trade | null }) {
    const report = [`${input.symbol}: exchange agrees (${input.trade?.id ?? 'no open trade'})`];
    const found = input.trade ?? this.recovered;
    const highest = this.highestSequence === undefined ? {} : { highestSequence: this.highestSequence };
    if (found !== input.trade) report.push(`${found!.id}: adopted as the symbol's trade (${found!.status}, recovered from the exchange)`);
    if (this.reconcileCatchesUp && input.trade) {
      const applied = new Set(input.trade.appliedEventIds ?? []);
      const unseen = this.#facts(input.trade.id).filter((e) => !applied.has(e.eventId));
      for (const e of unseen) report.push(`caught up: ${e.tradeId} ${e.type}`);
      return { trade: applyEvents(input.trade, unseen), events: unseen, report, ...highest };
    }
    return { trade: found, events: [], report, ...highest };
  }

  async fetchMarketData(input: { symbol: string }): Promise<MarketSnapshot> {
    // the market's clock is the workflow's (the time the step was scheduled, skipped time included):
    // the trade log's rows carry the market clock, and the cadence tests read it
    return { symbol: input.symbol, at: scheduledAt() ?? this.#tick(), last: this.lastPrice, bid: this.lastPrice - 0.01, ask: this.lastPrice + 0.01, spread: 0.02, timeframes: [] };
  }

  async askStrategist(input: Parameters<SymbolTraderActivities['askStrategist']>[0]): Promise<StrategistDecision> {
    try {
      return await this.script(input);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`strategist broke: ${(err as Error).message}`, 'StrategistBroke');
    }
  }

  async executeAiCommand(input: Parameters<SymbolTraderActivities['executeAiCommand']>[0]): Promise<OmsResult> {
    const { command, trade } = input;
    switch (command.action) {
      case 'PLAN_TRADE': {
        if (trade) return rejected('TRADE_ALREADY_OPEN', `trade ${trade.id} is still ${trade.status}`);
        const id = tradeIdFor(input.symbol, input.sequence);
        const existing = this.placed.get(id);
        if (existing) return { outcome: 'EXECUTED', trade: existing, events: [], alerts: [] }; // a retry adopts
        const s = command.trade_setup;
        const created: Trade = {
          id,
          symbol: input.symbol,
          direction: s.direction,
          status: 'PENDING',
          entryPrice: s.entry_price,
          stopLossPrice: s.stop_loss_price,
          takeProfitPrices: [...s.take_profit_prices],
          quantity: 1,
          positionSizePercent: s.position_size_percent,
          entryFills: [],
          exitFills: [],
          orders: [{ role: 'ENTRY', clientOrderId: `${id}-E`, exchangeOrderId: `${this.placed.size + 1000}`, quantity: 1, price: s.entry_price, status: 'OPEN' }],
          createdAt: input.now ?? this.#tick(),
        };
        this.placed.set(id, created);
        if (!this.fillOnPlacement) return { outcome: 'EXECUTED', trade: created, events: [], alerts: [] };
        const fill = this.fillEntry(id);
        return { outcome: 'EXECUTED', trade: applyEvents(created, [fill]), events: [fill], alerts: [] };
      }
      case 'CANCEL_ORDER':
        if (trade?.status !== 'PENDING' || trade.id !== command.order_id) return rejected('NO_PENDING_TRADE', `no PENDING trade ${command.order_id}`);
        return this.cancelPendingOrder({ trade, reason: command.reasoning });
      case 'ADJUST_TRADE': {
        if (trade?.status !== 'ACTIVE' || trade.id !== command.order_id) return rejected('NO_ACTIVE_TRADE', `no ACTIVE trade ${command.order_id}`);
        const targets = command.new_take_profit_prices ?? trade.takeProfitPrices;
        const event: TradeEvent = {
          type: 'PROTECTION_ADJUSTED',
          eventId: `${trade.id}:adjust:${input.sequence}`,
          tradeId: trade.id,
          stopLossPrice: command.new_stop_loss_price,
          takeProfitPrices: targets,
          orders: protectionOrders(trade, openQuantity(trade), command.new_stop_loss_price, targets, `A${input.sequence}`),
          at: this.#tick(),
        };
        return { outcome: 'EXECUTED', trade: applyEvents(trade, [event]), events: [event], alerts: [] };
      }
      case 'DO_NOTHING':
        return { outcome: 'NOTHING_TO_DO', trade, events: [], alerts: [] };
    }
  }

  async ensureProtection(input: { trade: Trade; quantity: number }): Promise<OmsResult> {
    const { trade, quantity } = input;
    const event: TradeEvent = {
      type: 'PROTECTION_PLACED',
      eventId: `${trade.id}:protect:${quantity}`,
      tradeId: trade.id,
      orders: protectionOrders(trade, quantity, trade.stopLossPrice, trade.takeProfitPrices, `P${quantity}`),
      at: this.#tick(),
    };
    return { outcome: 'EXECUTED', trade: applyEvents(trade, [event]), events: [event], alerts: [] };
  }

  async cancelPendingOrder(input: { trade: Trade; reason: string }): Promise<OmsResult> {
    const { trade } = input;
    const ended = this.#facts(trade.id).some((e) => e.type === 'ENTRY_CANCELLED');
    const event = ended
      ? this.#facts(trade.id).find((e) => e.type === 'ENTRY_CANCELLED')!
      : this.#fact({ type: 'ENTRY_CANCELLED', eventId: `${trade.id}-E:cancelled`, tradeId: trade.id, reason: input.reason, at: this.#tick() });
    return { outcome: 'EXECUTED', trade: applyEvents(trade, [event]), events: [event], alerts: [] };
  }

  async cancelProtection(input: { trade: Trade; reason: string }): Promise<OmsResult> {
    const orders = input.trade.orders.map((o): OrderRef => (o.role !== 'ENTRY' && o.status === 'OPEN' ? { ...o, status: 'CANCELLED' } : o));
    return { outcome: 'EXECUTED', trade: { ...input.trade, orders }, events: [], alerts: [] };
  }

  /** the model's flatten: protection cancelled, the open quantity sold at the last price (one fill per trade) */
  async flattenPosition(input: { trade: Trade; reason: string }): Promise<OmsResult> {
    const { trade } = input;
    const orders = trade.orders.map((o): OrderRef => (o.role !== 'ENTRY' && o.status === 'OPEN' ? { ...o, status: 'CANCELLED' } : o));
    const open = openQuantity(trade);
    if (!(open > 0)) return { outcome: 'NOTHING_TO_DO', trade: { ...trade, orders }, events: [], alerts: [] };
    const event: TradeEvent = { type: 'MANUAL_CLOSE', eventId: `${trade.id}:flatten`, tradeId: trade.id, price: this.lastPrice, quantity: open, fee: FEE, at: this.#clock, reason: input.reason };
    return { outcome: 'EXECUTED', trade: applyEvents({ ...trade, orders }, [event]), events: [event], alerts: [`market close of ${open} at ${this.lastPrice}`] };
  }

  async watchOrders(input: { trade: Trade }): Promise<void> {
    if (!this.monitor) return;
    const { client, taskQueue, intervalMs, maxPollsPerRun } = this.monitor;
    await client.workflow.signalWithStart('orderMonitor', {
      workflowId: ORDER_MONITOR_WORKFLOW_ID,
      taskQueue,
      args: [{ intervalMs, maxPollsPerRun }],
      signal: watchSignal,
      signalArgs: [input.trade],
    });
  }

  async appendTradeLog(input: { rows: TradeLogRow[] }): Promise<void> {
    for (const row of input.rows) if (!this.rows.has(row.id)) this.rows.set(row.id, row);
  }

  /** the model's entries are 1 unit: the notional is the entry price */
  async requestSlot(input: SlotDraft): Promise<SlotDecision> {
    const request = { tradeId: input.tradeId, symbol: input.symbol, sequence: input.sequence, notional: input.entryPrice };
    if (!this.portfolio) return { granted: true, grant: { ...request, grantedAt: this.#tick() }, repeated: false };
    return askForSlot(this.portfolio.client, this.portfolio, request);
  }

  async releaseSlot(input: { tradeId: string; reason: string }): Promise<{ released: boolean }> {
    if (!this.portfolio) return { released: false };
    return giveBackSlot(this.portfolio.client, this.portfolio, input.tradeId, input.reason);
  }

  async readAccountEquity(): Promise<AccountEquity> {
    return { equity: this.equity, quote: 'USDT', at: this.equityAt, detail: `USDT ${this.equity}`, unpriced: [] };
  }

  async listTraderHoldings(input: { symbols: string[] }): Promise<TraderReport[]> {
    const client = this.portfolio?.client ?? this.monitor?.client;
    if (!client) throw new Error('listTraderHoldings needs model.portfolio (a client)');
    return Promise.all(input.symbols.map((s) => holdingOf(client, s)));
  }

  /** the model has no user-data stream: the monitor polls, as it does where a venue has none */
  async streamOrders(): Promise<StreamOrdersResult> {
    return { streamed: false, reason: 'the model exchange has no user-data stream' };
  }

  async trackOrders(input: { trades: Trade[] }): Promise<TradeEvent[]> {
    return input.trades.flatMap((t) => this.#facts(t.id));
  }

  // ---- internals -----------------------------------------------------------------------------

  async #record(name: string, input: any): Promise<any> {
    this.calls.push({ name, input: structuredClone(input) });
    if (process.env.DEBUG_MODEL) console.error(`${new Date().toISOString()} ${name}`);
    try {
      if (this.broken.has(name)) throw ApplicationFailure.nonRetryable(`${name} is broken (test)`, 'Broken');
      return await (this as any)[name](input);
    } finally {
      // checked after the call's effect on the model, so waiters see it
      queueMicrotask(() => this.#wake());
    }
  }

  #wake(): void {
    for (const w of [...this.#waiters]) {
      if (w.check()) {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }

  #trade(tradeId: string): Trade {
    const t = this.placed.get(tradeId);
    if (!t) throw new Error(`the model has no trade ${tradeId}`);
    return t;
  }

  #facts(tradeId: string): TradeEvent[] {
    return this.facts.get(tradeId) ?? [];
  }

  #fact(event: TradeEvent): TradeEvent {
    this.facts.set(event.tradeId, [...this.#facts(event.tradeId), event]);
    return event;
  }

  #tick(): number {
    return (this.#clock += 1_000);
  }
}

function openQuantity(trade: Trade): number {
  return trade.entryFills.reduce((s, f) => s + f.quantity, 0) - trade.exitFills.reduce((s, f) => s + f.quantity, 0);
}

/** one OCO per target sharing the stop, the quantity split across targets */
function protectionOrders(trade: Trade, quantity: number, stop: number, targets: number[], tag: string): OrderRef[] {
  return targets.map((price, i) => ({
    role: 'OCO',
    clientOrderId: `${trade.id}-${tag}-OCO${i}`,
    quantity: quantity / targets.length,
    price,
    stopPrice: stop,
    targetIndex: i,
    status: 'OPEN',
  }));
}

function rejected(code: string, reason: string): OmsResult {
  return { outcome: 'REJECTED', trade: null, events: [], alerts: [], rejection: { stage: 'oms', code, reason } };
}

// ---- strategist answers ----------------------------------------------------------------------

export function decision(command: AiCommand, extra: Partial<StrategistDecision> = {}): StrategistDecision {
  return { command, source: 'rules', accepted: true, ...extra };
}

export function planLong(symbol: string, targets: number[] = [110], entry = 100, stop = 95): StrategistDecision {
  return decision({
    action: 'PLAN_TRADE',
    trade_setup: { symbol, direction: 'LONG', entry_price: entry, stop_loss_price: stop, take_profit_prices: targets, position_size_percent: 5 },
    reasoning: 'trend up',
  });
}

export function cancelTrade(tradeId: string): StrategistDecision {
  return decision({ action: 'CANCEL_ORDER', order_id: tradeId, reasoning: 'entry no longer valid' });
}

export function adjustTrade(tradeId: string, stop: number, targets?: number[]): StrategistDecision {
  return decision({ action: 'ADJUST_TRADE', order_id: tradeId, new_stop_loss_price: stop, new_take_profit_prices: targets ?? null, reasoning: 'move stop to break-even' });
}

export function doNothing(reasoning = 'wait'): StrategistDecision {
  return decision({ action: 'DO_NOTHING', reasoning });
}

/** when the running activity was scheduled, on the server's (skipped) clock; none outside an activity */
function scheduledAt(): number | undefined {
  try {
    return Context.current().info.currentAttemptScheduledTimestampMs;
  } catch {
    return undefined;
  }
}
