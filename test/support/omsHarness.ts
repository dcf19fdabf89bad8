import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/simulator';
import { createCcxtBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway, type GatewayOptions } from '../../src/exchange/gateway';
import { RiskConfig } from '../../src/config/schema';
import type { AiCommand } from '../../src/domain/commands';
import type { Trade } from '../../src/domain/trade';
import type { OmsContext } from '../../src/oms/types';
import { applyEvents, ensureProtection, OrderTracker } from '../../src/oms';
import { belongsTo, entryClientId } from '../../src/oms/clientIds';
import { entryRef } from '../../src/oms/exchangeView';
import { createPendingTrade, tradeIdFor } from '../../src/domain/newTrade';
import { sizePosition } from '../../src/domain/sizing';
import type { ExchangeOrder } from '../../src/exchange/types';

/**
 * Test harness for the gateway and OMS tests: the exchange simulator on 127.0.0.1 (ephemeral port)
 * and a real ccxt binance client over HTTP, wrapped in the production gateway.
 */

export const API_KEY = 'oms-test-key-0001';
export const API_SECRET = 'oms-test-secret-0001';

export const RISK: RiskConfig = RiskConfig.parse({
  max_position_size_percent: 10,
  max_open_trades: 3,
  min_reward_risk: 1.5,
  max_entry_distance_percent: 2,
});

export interface Harness {
  sim: SimulatorHandle;
  gateway: ExchangeGateway;
  retries: Array<{ label: string; attempt: number; kind: string; delayMs: number }>;
  close(): Promise<void>;
}

export async function startHarness(
  opts: Partial<SimulatorOptions> & { balances?: Record<string, number>; timeoutMs?: number; gateway?: GatewayOptions } = {},
): Promise<Harness> {
  const sim = await startSimulator({
    feed: { kind: 'synthetic', seed: 7, start: { BTCUSDT: 65000, ETHUSDT: 3000 } },
    accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: opts.balances ?? { USDT: 10_000 } }],
    ...opts,
  });
  const exchange = createCcxtBinance({
    mode: 'paper',
    simulatorUrl: sim.url,
    credentials: { apiKey: API_KEY, secret: API_SECRET },
    timeoutMs: opts.timeoutMs ?? 1_500,
    rateLimitMs: 1,
  });
  const retries: Harness['retries'] = [];
  const gateway = new ExchangeGateway(exchange, {
    retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 1_200 },
    onRetry: (info) => retries.push(info),
    ...opts.gateway,
  });
  await sim.setPrice('BTCUSDT', 65000);
  return {
    sim,
    gateway,
    retries,
    close: async () => {
      await exchange.close();
      await sim.close();
    },
  };
}

export function ctxFor(h: Harness, trade: Trade | null, sequence = 1, extra: Partial<OmsContext> = {}): OmsContext {
  return { gateway: h.gateway, symbol: 'BTCUSDT', trade, sequence, risk: RISK, openTradesCount: trade ? 1 : 0, ...extra };
}

export function plan(entry: number, stop: number, targets: number[], percent = 10): AiCommand {
  return {
    action: 'PLAN_TRADE',
    trade_setup: {
      symbol: 'BTCUSDT',
      direction: 'LONG',
      entry_price: entry,
      stop_loss_price: stop,
      take_profit_prices: targets,
      position_size_percent: percent,
    },
    reasoning: 'test plan',
  };
}

/** ADJUST_TRADE of `tradeId`: the new stop, and new targets when given */
export function adjust(tradeId: string, stop: number, targets?: number[]): AiCommand {
  return { action: 'ADJUST_TRADE', order_id: tradeId, new_stop_loss_price: stop, new_take_profit_prices: targets ?? null, reasoning: 'trail the stop' };
}

/** the trade after the tracker's look at the exchange and the protection the OMS then ensures, as the workflow runs them after a fill */
export async function trackAndProtect(h: Harness, trade: Trade): Promise<Trade> {
  const tracked = applyEvents(trade, await new OrderTracker(h.gateway).trackOrders([trade]));
  return applyEvents(tracked, (await ensureProtection(h.gateway, tracked)).events);
}

/** our trade's orders resting on the simulator's book */
export async function onBook(h: Harness, tradeId: string): Promise<ExchangeOrder[]> {
  return (await h.gateway.fetchOpenOrders('BTCUSDT')).filter((o) => belongsTo(o.clientOrderId, tradeId));
}

/** stop quantity resting for the trade (stop legs on the book, not waiting) */
export async function restingStops(h: Harness, tradeId: string): Promise<ExchangeOrder[]> {
  return (await onBook(h, tradeId)).filter((o) => o.type.startsWith('STOP_LOSS') && !o.pending);
}

export const sum = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) * 1e8) / 1e8;

export function insufficientBalanceFault(path: string, times = 1) {
  return {
    method: 'POST',
    path,
    kind: 'status' as const,
    status: 400,
    times,
    body: JSON.stringify({ code: -2010, msg: 'Account has insufficient balance for requested action.' }),
  };
}

/**
 * A plan with several targets placed the OLD way (before slices): the LIMIT entry alone, its
 * protection placed per fill by ensureProtection. Trades like this still rest on exchanges and in
 * running workflows; the OMS must keep tracking, protecting, reconciling and recovering them.
 */
export async function placeOldShapePlan(h: Harness, command: AiCommand, sequence = 1): Promise<Trade> {
  if (command.action !== 'PLAN_TRADE') throw new Error('placeOldShapePlan needs a PLAN_TRADE');
  const id = tradeIdFor('BTCUSDT', sequence);
  const limits = await h.gateway.marketLimits('BTCUSDT');
  const quote = await h.gateway.fetchBalance('USDT');
  const sized = sizePosition({ equity: quote.free, positionSizePercent: command.trade_setup.position_size_percent, entryPrice: command.trade_setup.entry_price, limits });
  if (!sized.ok) throw new Error(sized.reason);
  const trade = createPendingTrade({ id, command, quantity: sized.quantity, limits, now: Date.now() });
  const entry = await h.gateway.placeLimitOrder({
    symbol: 'BTCUSDT',
    side: trade.direction === 'LONG' ? 'BUY' : 'SELL',
    quantity: trade.quantity,
    price: trade.entryPrice,
    clientOrderId: entryClientId(id),
  });
  return { ...trade, orders: [entryRef(entry)] };
}
