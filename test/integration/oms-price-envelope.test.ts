import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { omsActivities } from '../../src/activities/oms';
import type { OmsResult as OmsActivityResult } from '../../src/domain/omsResult';
import { RiskConfig } from '../../src/config/schema';
import type { AiCommand } from '../../src/domain/commands';
import { createCcxtBinance } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';

/**
 * The price envelope where it matters: the OMS activity the worker registers, real ccxt through
 * the gateway, the simulator's published filters. A command with one absurd price is refused with
 * the numbers, and the exchange never hears of it: not the entry, not anything.
 */

const API_KEY = 'envelope-key-7d1c';
const API_SECRET = 'envelope-secret-2b9f';

const plan = (targets: number[], stop = 63500): AiCommand => ({
  action: 'PLAN_TRADE',
  trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: 64800, stop_loss_price: stop, take_profit_prices: targets, position_size_percent: 10 },
  reasoning: 'pullback entry',
});

describe('OMS price envelope (real OMS activity, ccxt, simulator)', () => {
  let sim: SimulatorHandle;
  let exchange: ReturnType<typeof createCcxtBinance>;
  let gateway: ExchangeGateway;

  beforeEach(async () => {
    sim = await startSimulator({
      feed: { kind: 'synthetic', seed: 3, start: { BTCUSDT: 65000 } },
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 10_000 } }],
    });
    await sim.setPrice('BTCUSDT', 65000);
    exchange = createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials: { apiKey: API_KEY, secret: API_SECRET }, timeoutMs: 2_000, rateLimitMs: 1 });
    gateway = new ExchangeGateway(exchange, { retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 20 } });
  });
  afterEach(async () => {
    await exchange.close();
    await sim.close();
  });

  const execute = (risk: RiskConfig, command: AiCommand): Promise<OmsActivityResult> =>
    new MockActivityEnvironment().run(omsActivities({ gateway, risk, secrets: [API_KEY, API_SECRET] }).executeAiCommand, {
      symbol: 'BTCUSDT', sequence: 7, command, trade: null, lastPrice: 65000,
    }) as Promise<OmsActivityResult>;
  const writes = () => sim.requests().filter((r) => r.method !== 'GET').length;

  it("the gateway reads the simulator's price filter and PERCENT_PRICE_BY_SIDE band", async () => {
    const limits = await gateway.marketLimits('BTCUSDT');
    assert.equal(limits.tickSize, 0.01);
    assert.equal(limits.minPrice, 0.01);
    assert.equal(limits.maxPrice, 1_000_000);
    assert.deepEqual(limits.percentPrice, { bidMultiplierUp: 5, bidMultiplierDown: 0.2, askMultiplierUp: 5, askMultiplierDown: 0.2 });
  });

  it('a take-profit of 1e308 is REJECTED with the numbers and nothing is placed', async () => {
    const before = writes();
    // wide configured distances, so it is the exchange's own filter that refuses it
    const wide = RiskConfig.parse({ max_target_distance_percent: 1000 });
    const r = await execute(wide, plan([67000, 1e308]));
    assert.equal(r.outcome, 'REJECTED');
    assert.equal(r.rejection?.code, 'PRICE_FILTER');
    assert.match(r.rejection!.reason, /target 2 1e\+308 is above the exchange's maximum price 1000000 for BTCUSDT \(PRICE_FILTER\)/);
    assert.equal(r.trade, null);
    assert.equal(writes(), before, 'no order request reached the exchange');
    assert.deepEqual(await gateway.fetchOpenOrders('BTCUSDT'), [], 'nothing rests on the book');

    // with the default configuration the distance limit refuses it as well
    const byDefault = await execute(RiskConfig.parse({}), plan([67000, 1e308]));
    assert.equal(byDefault.rejection?.code, 'PRICE_FILTER');
    const noFilter = await execute(RiskConfig.parse({}), plan([67000, 95_000]));
    assert.equal(noFilter.rejection?.code, 'TARGET_TOO_FAR');
    assert.match(noFilter.rejection!.reason, /target 2 95000 is 46\.15% above the last price 65000; a take-profit must be within 20%/);
    assert.equal(writes(), before);
  });

  it('a target beyond the percent-price band and a stop too far are refused before the entry', async () => {
    const before = writes();
    const wide = RiskConfig.parse({ max_stop_distance_percent: 95, max_target_distance_percent: 1000 });
    const band = await execute(wide, plan([67000, 400_000]));
    assert.equal(band.rejection?.code, 'PERCENT_PRICE');
    assert.match(band.rejection!.reason, /target 2 400000 is more than 5x the last price 65000/);
    const stop = await execute(RiskConfig.parse({}), plan([67000], 50_000));
    assert.equal(stop.rejection?.code, 'STOP_TOO_FAR');
    assert.match(stop.rejection!.reason, /stop 50000 is 23\.08% below the last price 65000; a stop must be within 10%/);
    assert.equal(writes(), before);
    assert.deepEqual(await gateway.fetchOpenOrders('BTCUSDT'), []);

    // and a sound plan still goes through: the envelope refuses only what it must
    const ok = await execute(RiskConfig.parse({}), plan([67000, 69000]));
    assert.equal(ok.outcome, 'EXECUTED', JSON.stringify(ok.rejection));
    // two targets are two slices: one working entry each on the book (their pairs wait for the fills)
    const entries = ok.trade!.orders.filter((o) => o.role === 'ENTRY').map((o) => o.clientOrderId);
    assert.equal(entries.length, 2);
    assert.deepEqual((await gateway.fetchOpenOrders('BTCUSDT')).map((o) => o.clientOrderId).sort(), [...entries].sort());
  });
});
