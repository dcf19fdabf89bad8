import type { Client } from '@temporalio/client';
import { createActivities, type AllActivities } from '../../src/activities';
import type { OrderMonitorInput } from '../../src/contract/monitorState';
import { RiskConfig } from '../../src/config/schema';
import type { Trade } from '../../src/domain/trade';
import { createCcxtBinance, createCcxtProBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { CcxtUserStream } from '../../src/exchange/userStream';
import { openTradeLog } from '../../src/journal/tradeLog';
import { entryClientId } from '../../src/oms/clientIds';
import type { SimulatorHandle } from '../../src/simulator';
import { alwaysLong } from './alwaysLong';
import { now } from './instantActivities';
import { Waiters } from './waiters';

/**
 * The streaming monitor's bench bed: the simulator is the exchange; the monitor's activities
 * (streamOrders, trackOrders, watchOrders) and the trader's ensureProtection / cancelProtection are
 * the real ones over it (real ccxt REST and websocket clients); only the trader's decision steps are
 * instant fakes: every symbol plans a LONG with two targets whenever it has no trade, and the plan
 * is a real LIMIT entry on the simulator (a plan with several targets: protection follows each fill).
 * The bench moves the price through the entry at a known instant; the trader's transition is seen
 * when ensureProtection starts (called) and returns (the stops rest on the exchange).
 */

export const STREAM_KEY = 'bench-stream-key';
export const STREAM_SECRET = 'bench-stream-secret';
// 100 USDT at the bench price: the simulator's default market has an amount step of 0.001, so what the fee leaves is tradable
const QUANTITY = 0.1;

export interface FillTiming {
  tradeId: string;
  symbol: string;
  entryPrice: number;
  stopPrice: number;
  filledAt?: number;
  calledAt?: number;
  restingAt?: number;
  closedAt?: number;
}

export class StreamExchange {
  readonly trades = new Map<string, FillTiming>();
  readonly waiters = new Waiters();
  readonly gateway: ExchangeGateway;
  readonly #real: AllActivities;

  constructor(
    private readonly sim: SimulatorHandle,
    client: Client,
    monitor: OrderMonitorInput,
    tradeLogPath: string,
  ) {
    const credentials = { apiKey: STREAM_KEY, secret: STREAM_SECRET };
    this.gateway = new ExchangeGateway(createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials, rateLimitMs: 1, timeoutMs: 5_000 }));
    this.#real = createActivities({
      gateway: this.gateway,
      userStream: new CcxtUserStream(() => createCcxtProBinance({ mode: 'paper', simulatorUrl: sim.url, credentials, timeoutMs: 5_000 })),
      strategist: { decide: () => Promise.reject(new Error('the bench decides without a strategist')) } as never,
      tradeLog: openTradeLog(tradeLogPath, { secrets: [] }),
      timeframes: ['15m'],
      risk: RiskConfig.parse({}),
      secrets: [STREAM_KEY, STREAM_SECRET],
      temporalClient: client,
      orderMonitor: monitor,
    });
  }

  until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.waiters.until(check, timeoutMs);
  }

  activities(): Omit<AllActivities, 'requestSlot' | 'releaseSlot' | 'readAccountEquity' | 'listTraderHoldings' | 'flattenPosition'> {
    const real = this.#real;
    return {
      // the plan as a real LIMIT entry just under the simulator's price (the fake strategist's levels are only for the workflow's checks)
      ...alwaysLong([110, 120], async (id, input) => {
        const last = (await this.gateway.fetchTicker(input.symbol)).last;
        const entry = Math.round(last * 0.999 * 100) / 100;
        const order = await this.gateway.placeLimitOrder({ symbol: input.symbol, side: 'BUY', quantity: QUANTITY, price: entry, clientOrderId: entryClientId(id) });
        const trade: Trade = {
          id, symbol: input.symbol, direction: 'LONG', status: 'PENDING', entryPrice: entry, stopLossPrice: Math.round(entry * 0.98 * 100) / 100,
          takeProfitPrices: [Math.round(entry * 1.02 * 100) / 100, Math.round(entry * 1.04 * 100) / 100], quantity: QUANTITY, positionSizePercent: 5,
          entryFills: [], exitFills: [], createdAt: input.now ?? Date.now(),
          orders: [{ role: 'ENTRY', clientOrderId: order.clientOrderId, exchangeOrderId: order.exchangeOrderId, quantity: QUANTITY, price: entry, status: 'OPEN' }],
        };
        if (!this.trades.has(id)) this.trades.set(id, { tradeId: id, symbol: input.symbol, entryPrice: entry, stopPrice: trade.stopLossPrice });
        this.waiters.wake();
        return trade;
      }),
      ensureProtection: async (input) => {
        const timing = this.trades.get(input.trade.id);
        if (timing && timing.calledAt === undefined) timing.calledAt = now();
        const result = await real.ensureProtection(input);
        if (timing && timing.restingAt === undefined) timing.restingAt = now();
        this.waiters.wake();
        return result;
      },
      cancelProtection: async (input) => {
        const result = await real.cancelProtection(input);
        const timing = this.trades.get(input.trade.id);
        if (timing && timing.closedAt === undefined) timing.closedAt = now();
        this.waiters.wake();
        return result;
      },
      cancelPendingOrder: real.cancelPendingOrder,
      watchOrders: real.watchOrders,
      trackOrders: real.trackOrders,
      streamOrders: real.streamOrders,
      appendTradeLog: async () => {},
    };
  }

  /** fills the trade's entry now (the price moves through it) and notes the instant */
  async fillEntry(t: FillTiming): Promise<void> {
    t.filledAt = now();
    await this.sim.setPrice(t.symbol, Math.round(t.entryPrice * 0.9995 * 100) / 100);
  }

  /** the stop's turn: the price falls through it (every stop leg fills), then comes back for the next plan */
  async hitStop(t: FillTiming, back: number): Promise<void> {
    await this.sim.setPrice(t.symbol, Math.round(t.stopPrice * 0.995 * 100) / 100);
    await this.until(() => t.closedAt !== undefined, 60_000);
    await this.sim.setPrice(t.symbol, back);
  }
}
