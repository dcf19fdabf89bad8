import type { Client } from '@temporalio/client';
import type { AllActivities } from '../../src/activities';
import type { OmsResult } from '../../src/contract/results';
import type { TradeEvent } from '../../src/domain/events';
import type { OrderRef, Trade } from '../../src/domain/trade';
import { ORDER_MONITOR_WORKFLOW_ID } from '../../src/contract/ids';
import { watchSignal } from '../../src/contract/signals';
import { alwaysLong } from './alwaysLong';
import { now } from './instantActivities';
import { Waiters } from './waiters';

/**
 * A fake exchange for the fill -> transition bench: every symbol plans a LONG whenever it has no
 * open trade; the entry fills at a random instant after it was placed, the stop at a random
 * instant after the protection was placed. The tracker (trackOrders, called by the real
 * orderMonitor) reports each fill from the instant it happened on, exactly as the real tracker
 * re-reads the exchange; the symbol workflow's transition is seen when it acts on it: the
 * PENDING->ACTIVE transition calls ensureProtection, ACTIVE->CLOSED calls cancelProtection.
 */

export interface FillTimes {
  tradeId: string;
  /** when the fill happened on the exchange */
  filledAt: number;
  /** end of the first trackOrders that reported it */
  reportedAt?: number;
  /** start of the activity the transition triggered */
  actedAt?: number;
}

export interface FillExchangeOptions {
  client: Client;
  taskQueue: string;
  monitorIntervalMs: number;
  /** entry fills this long after the entry was placed: [min, max) ms, uniform */
  entryDelayMs: [number, number];
  /** the stop fills this long after the protection was placed */
  exitDelayMs: [number, number];
}

export class FillExchange {
  readonly entries = new Map<string, FillTimes>();
  readonly exits = new Map<string, FillTimes>();
  /** start of every trackOrders call (the monitor's real poll period) */
  readonly polls: number[] = [];
  /** instants at which no trade was open (the monitor then rests without polling) */
  readonly idleAt: number[] = [];
  #open = new Set<string>();
  readonly placed = new Map<string, Trade>();
  readonly #waiters = new Waiters();

  constructor(private readonly opts: FillExchangeOptions) {}

  /** trades whose entry and exit were both acted on */
  /** time between consecutive polls while some trade stayed open throughout (the monitor's real period) */
  pollPeriods(): number[] {
    const periods: number[] = [];
    for (let i = 1; i < this.polls.length; i++) {
      const [from, to] = [this.polls[i - 1]!, this.polls[i]!];
      if (!this.idleAt.some((t) => t > from && t < to)) periods.push(to - from);
    }
    return periods;
  }

  completedTrades(): number {
    let n = 0;
    for (const [id, exit] of this.exits) if (exit.actedAt !== undefined && this.entries.get(id)?.actedAt !== undefined) n++;
    return n;
  }

  until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.#waiters.until(check, timeoutMs);
  }

  /** benchmarked traders run without the risk envelope: no slot or portfolio activities */
  activities(): Omit<AllActivities, 'requestSlot' | 'releaseSlot' | 'readAccountEquity' | 'listTraderHoldings' | 'flattenPosition'> {
    return {
      ...alwaysLong([110], async (id, input) => {
        let trade = this.placed.get(id);
        if (!trade) {
          trade = {
            id,
            symbol: input.symbol,
            direction: 'LONG',
            status: 'PENDING',
            entryPrice: 100,
            stopLossPrice: 95,
            takeProfitPrices: [110],
            quantity: 1,
            positionSizePercent: 5,
            entryFills: [],
            exitFills: [],
            orders: [{ role: 'ENTRY', clientOrderId: `${id}-E`, exchangeOrderId: `${this.placed.size + 1}`, quantity: 1, price: 100, status: 'OPEN' }],
            createdAt: input.now ?? Date.now(),
          };
          this.placed.set(id, trade);
          this.#open.add(id);
          this.entries.set(id, { tradeId: id, filledAt: now() + uniform(this.opts.entryDelayMs) });
        }
        return trade;
      }),
      ensureProtection: async (input): Promise<OmsResult> => {
        const at = now();
        const { trade } = input;
        const entry = this.entries.get(trade.id);
        if (entry && entry.actedAt === undefined) entry.actedAt = at;
        if (!this.exits.has(trade.id)) this.exits.set(trade.id, { tradeId: trade.id, filledAt: at + uniform(this.opts.exitDelayMs) });
        const oco: OrderRef = { role: 'OCO', clientOrderId: `${trade.id}-P-OCO0`, quantity: input.quantity, price: 110, stopPrice: 95, targetIndex: 0, status: 'OPEN' };
        const event: TradeEvent = { type: 'PROTECTION_PLACED', eventId: `${trade.id}:protect`, tradeId: trade.id, orders: [oco], at: Date.now() };
        this.#waiters.wake();
        return { outcome: 'EXECUTED', trade, events: [event], alerts: [] };
      },
      cancelProtection: async (input): Promise<OmsResult> => {
        const exit = this.exits.get(input.trade.id);
        if (exit && exit.actedAt === undefined) exit.actedAt = now();
        this.#open.delete(input.trade.id);
        if (this.#open.size === 0) this.idleAt.push(now());
        const orders = input.trade.orders.map((o): OrderRef => (o.role !== 'ENTRY' && o.status === 'OPEN' ? { ...o, status: 'CANCELLED' } : o));
        this.#waiters.wake();
        return { outcome: 'EXECUTED', trade: { ...input.trade, orders }, events: [], alerts: [] };
      },
      cancelPendingOrder: async (input): Promise<OmsResult> => {
        const event: TradeEvent = { type: 'ENTRY_CANCELLED', eventId: `${input.trade.id}-E:cancelled`, tradeId: input.trade.id, reason: input.reason, at: Date.now() };
        return { outcome: 'EXECUTED', trade: input.trade, events: [event], alerts: [] };
      },
      watchOrders: async (input) => {
        // as the real watchOrders: signal-with-start of the one monitor
        await this.opts.client.workflow.signalWithStart('orderMonitor', {
          workflowId: ORDER_MONITOR_WORKFLOW_ID,
          taskQueue: this.opts.taskQueue,
          // the polling monitor, as before the user-data stream (bench/stream-latency-bench.ts measures the stream)
          args: [{ intervalMs: this.opts.monitorIntervalMs, stream: false }],
          signal: watchSignal,
          signalArgs: [input.trade],
        });
      },
      appendTradeLog: async () => {},
      streamOrders: async () => ({ streamed: false as const, reason: 'the bench exchange has no user-data stream' }),
      trackOrders: async (input) => {
        const at = now();
        this.polls.push(at);
        const events: TradeEvent[] = [];
        const reported: FillTimes[] = [];
        for (const trade of input.trades) {
          const entry = this.entries.get(trade.id);
          if (entry && entry.filledAt <= at) {
            events.push({ type: 'ENTRY_FILLED', eventId: `${trade.id}-E:fill`, tradeId: trade.id, price: 100, quantity: 1, fee: 0.1, at: Math.round(entry.filledAt) });
            reported.push(entry);
          }
          const exit = this.exits.get(trade.id);
          if (exit && exit.filledAt <= at) {
            events.push({ type: 'STOP_FILLED', eventId: `${trade.id}-SL:fill`, tradeId: trade.id, price: 95, quantity: 1, fee: 0.1, at: Math.round(exit.filledAt) });
            reported.push(exit);
          }
        }
        const done = now();
        for (const fill of reported) fill.reportedAt ??= done;
        return events;
      },
    };
  }
}

function uniform([min, max]: [number, number]): number {
  return min + Math.random() * (max - min);
}
