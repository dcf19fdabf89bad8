import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from '../../src/exchange/ccxtLib';
import {
  closeSharedCcxt,
  createCcxtBinance,
  credentialsFromEnv,
  LiveTradingRefused,
  sharedCcxt,
} from '../../src/exchange/ccxtClient';
import { classifyExchangeError, ExchangeRejection, ExchangeUnavailable } from '../../src/exchange/errors';
import { ExchangeGateway, gatewayFor } from '../../src/exchange/gateway';
import { startHarness, API_KEY, API_SECRET, type Harness } from '../support/omsHarness';

const count = (h: Harness, method: string, path: string) =>
  h.sim.requests().filter((r) => r.method === method && r.path === path).length;

describe('gateway over real ccxt against the simulator', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ balances: { USDT: 10_000, BTC: 0.5 } });
  });
  after(async () => {
    await h.close();
  });

  it('loads spot markets with a single exchangeInfo request and reports the limits', async () => {
    const before = h.sim.requests().length;
    const limits = await h.gateway.marketLimits('BTC/USDT');
    const made = h.sim.requests().slice(before);
    assert.deepEqual(made.map((r) => r.path), ['/api/v3/exchangeInfo']);
    assert.equal(limits.symbol, 'BTCUSDT');
    assert.ok(limits.tickSize > 0 && limits.amountStep > 0 && limits.minNotional > 0);
    await h.gateway.marketLimits('ETHUSDT');
    assert.equal(count(h, 'GET', '/api/v3/exchangeInfo'), 1, 'markets are loaded once');
  });

  it('reads candles, ticker, order book and balances as domain shapes', async () => {
    const candles = await h.gateway.fetchCandles('BTCUSDT', '15m', 5);
    assert.equal(candles.length, 5);
    for (const c of candles) assert.ok(c.high >= c.low && c.volume >= 0 && Number.isInteger(c.timestamp));
    const ticker = await h.gateway.fetchTicker('BTCUSDT');
    assert.equal(ticker.symbol, 'BTCUSDT');
    assert.equal(ticker.last, 65000);
    const book = await h.gateway.fetchOrderBook('BTCUSDT', 5);
    assert.ok(book.bids.length > 0 && book.asks.length > 0);
    assert.ok(book.bids[0]![0] < book.asks[0]![0]);
    const usdt = await h.gateway.fetchBalance('USDT');
    assert.equal(usdt.total, 10_000);
    assert.equal((await h.gateway.fetchBalance('BTC')).free, 0.5);
  });

  it('sends prices and amounts through ccxt precision (tick and step)', async () => {
    // ccxt rounds prices to the nearest tick and truncates amounts to the step
    assert.equal(await h.gateway.price('BTCUSDT', 64999.123456), '64999.12');
    assert.equal(await h.gateway.amount('BTCUSDT', 0.0123456789), '0.01234');
    const order = await h.gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.0123456789, price: 60000.129, clientOrderId: 'gw-precision-1' });
    assert.equal(order.quantity, 0.01234);
    assert.equal(order.price, 60000.13);
    await h.gateway.cancelOrder('BTCUSDT', 'gw-precision-1');
  });

  it('places, finds and cancels an order by client id; unknown ids are null', async () => {
    const placed = await h.gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 60000, clientOrderId: 'gw-find-1' });
    assert.equal(placed.status, 'OPEN');
    const found = await h.gateway.findOrder('BTCUSDT', 'gw-find-1');
    assert.equal(found?.exchangeOrderId, placed.exchangeOrderId);
    assert.equal(await h.gateway.findOrder('BTCUSDT', 'gw-never-placed'), null);
    const again = await h.gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 60000, clientOrderId: 'gw-find-1' });
    assert.equal(again.exchangeOrderId, placed.exchangeOrderId, 'placing the same client id again adopts the order');
    const cancelled = await h.gateway.cancelOrder('BTCUSDT', 'gw-find-1');
    assert.equal(cancelled?.status, 'CANCELLED');
    assert.equal(await h.gateway.cancelOrder('BTCUSDT', 'gw-never-placed'), null);
  });

  it('places an OCO and an OTOCO through the implicit order-list endpoints, finds and cancels them', async () => {
    const oco = await h.gateway.placeOco({
      symbol: 'BTCUSDT', side: 'SELL', quantity: 0.01, takeProfitPrice: 70000, stopPrice: 60000, stopLimitPrice: 59700,
      listClientOrderId: 'gw-oco-1', takeProfitClientOrderId: 'gw-oco-1t', stopClientOrderId: 'gw-oco-1s',
    });
    assert.equal(oco.status, 'EXECUTING');
    assert.deepEqual(oco.orders.map((o) => o.clientOrderId).sort(), ['gw-oco-1s', 'gw-oco-1t']);
    assert.equal((await h.gateway.fetchOpenOrderLists()).filter((l) => l.listClientOrderId === 'gw-oco-1').length, 1);
    const otoco = await h.gateway.placeOtoco({
      symbol: 'BTCUSDT', side: 'BUY', entryPrice: 64000, entryQuantity: 0.002, entryClientOrderId: 'gw-otoco-e',
      protectionQuantity: 0.00199, takeProfitPrice: 68000, stopPrice: 62000, stopLimitPrice: 61700,
      listClientOrderId: 'gw-otoco-L', takeProfitClientOrderId: 'gw-otoco-t', stopClientOrderId: 'gw-otoco-s',
    });
    assert.equal(otoco.orders.length, 3);
    const legs = await h.gateway.fetchOpenOrders('BTCUSDT');
    const stopLeg = legs.find((o) => o.clientOrderId === 'gw-otoco-s');
    assert.ok(!stopLeg || stopLeg.pending, 'the OTOCO stop waits for the entry: not resting on the book');
    assert.equal(legs.find((o) => o.clientOrderId === 'gw-otoco-e')?.orderListId, otoco.orderListId);
    assert.equal((await h.gateway.cancelOrderList('BTCUSDT', 'gw-oco-1'))?.status, 'ALL_DONE');
    await h.gateway.cancelOrderList('BTCUSDT', 'gw-otoco-L');
    assert.equal((await h.gateway.fetchOpenOrders('BTCUSDT')).filter((o) => o.clientOrderId.startsWith('gw-o')).length, 0);
    assert.equal(await h.gateway.findOrderList('gw-never-list', 'BTCUSDT'), null);
  });
});

describe('gateway under injected faults', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ timeoutMs: 400 });
  });
  after(async () => {
    await h.close();
  });

  const ordersWith = async (cid: string) =>
    (await h.gateway.fetchOpenOrders('BTCUSDT')).filter((o) => o.clientOrderId === cid);

  it('retries HTTP 500 and 503 (ExchangeNotAvailable) and succeeds', async () => {
    await h.gateway.loadMarkets();
    h.sim.faults.add({ method: 'GET', path: '/api/v3/ticker/24hr', kind: 'status', status: 500 });
    h.sim.faults.add({ method: 'GET', path: '/api/v3/ticker/24hr', kind: 'status', status: 503 });
    h.retries.length = 0;
    const t = await h.gateway.fetchTicker('BTCUSDT');
    assert.equal(t.last, 65000);
    // 500 carries Binance's -1001 (ccxt: OperationFailed), 503 is ExchangeNotAvailable: both transient
    assert.equal(h.retries.length, 2);
    for (const r of h.retries) assert.ok(r.kind === 'OperationFailed' || r.kind === 'ExchangeNotAvailable', r.kind);
  });

  it('honours Retry-After on 429 and 418', async () => {
    h.sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'status', status: 429, retryAfterSeconds: 1 });
    h.sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'status', status: 418, retryAfterSeconds: 1 });
    h.retries.length = 0;
    const o = await h.gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 60000, clientOrderId: 'gw-429' });
    assert.equal(o.status, 'OPEN');
    assert.equal(h.retries.length, 2);
    for (const r of h.retries) {
      assert.ok(['RateLimitExceeded', 'DDoSProtection'].includes(r.kind), r.kind);
      assert.equal(r.delayMs, 1000, 'Retry-After (1 s) sets the pause');
    }
    assert.equal((await ordersWith('gw-429')).length, 1);
  });

  it('a request that times out after the order was placed ends with exactly one order', async () => {
    h.sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'timeout', holdMs: 5_000, execute: true });
    h.retries.length = 0;
    const o = await h.gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 60001, clientOrderId: 'gw-timeout' });
    assert.equal(o.clientOrderId, 'gw-timeout');
    assert.equal(h.retries[0]?.kind, 'RequestTimeout');
    assert.equal((await ordersWith('gw-timeout')).length, 1);
    assert.equal(count(h, 'POST', '/api/v3/order') >= 1, true);
  });

  it('a lost response (order accepted, connection dropped) ends with exactly one order', async () => {
    const postsBefore = count(h, 'POST', '/api/v3/order');
    h.sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'lostResponse' });
    const o = await h.gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 60002, clientOrderId: 'gw-lost' });
    assert.equal(o.status, 'OPEN');
    assert.equal(count(h, 'POST', '/api/v3/order') - postsBefore, 1, 'the lookup adopted it: no second POST');
    assert.equal((await ordersWith('gw-lost')).length, 1);
    const all = await h.gateway.fetchOpenOrders('BTCUSDT');
    assert.equal(all.filter((x) => x.price === 60002).length, 1);
  });

  it('a lost response on an OCO ends with exactly one order list', async () => {
    await h.gateway.placeMarketOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.01, clientOrderId: 'gw-buy-for-oco' });
    h.sim.faults.add({ method: 'POST', path: '/api/v3/orderList/oco', kind: 'lostResponse' });
    const list = await h.gateway.placeOco({
      symbol: 'BTCUSDT', side: 'SELL', quantity: 0.005, takeProfitPrice: 70000, stopPrice: 60000, stopLimitPrice: 59700,
      listClientOrderId: 'gw-lost-oco', takeProfitClientOrderId: 'gw-lost-ocot', stopClientOrderId: 'gw-lost-ocos',
    });
    assert.equal(list.status, 'EXECUTING');
    assert.equal((await h.gateway.fetchOpenOrderLists()).filter((l) => l.listClientOrderId === 'gw-lost-oco').length, 1);
    await h.gateway.cancelOrderList('BTCUSDT', 'gw-lost-oco');
  });

  it('gives up after the bounded attempts with a retryable ExchangeUnavailable', async () => {
    h.sim.faults.add({ method: 'GET', path: '/api/v3/depth', kind: 'status', status: 502, times: 10 });
    await assert.rejects(h.gateway.fetchOrderBook('BTCUSDT'), (err: unknown) => {
      assert.ok(err instanceof ExchangeUnavailable);
      assert.equal(classifyExchangeError(err).retryable, true);
      return true;
    });
    h.sim.faults.clear();
  });

  it('a permanent refusal is an ExchangeRejection, not retried', async () => {
    h.retries.length = 0;
    await assert.rejects(
      h.gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 100, price: 60000, clientOrderId: 'gw-too-big' }),
      (err: unknown) => {
        assert.ok(err instanceof ExchangeRejection);
        assert.equal(err.kind, 'InsufficientFunds');
        assert.equal(classifyExchangeError(err).retryable, false);
        return true;
      },
    );
    assert.equal(h.retries.length, 0);
  });
});

describe('error classification and credentials', () => {
  it('classifies ccxt errors: OperationFailed kinds retryable, ExchangeError kinds permanent', () => {
    for (const E of [ccxt.NetworkError, ccxt.RequestTimeout, ccxt.ExchangeNotAvailable, ccxt.DDoSProtection, ccxt.RateLimitExceeded, ccxt.OperationFailed]) {
      const c = classifyExchangeError(new E('x'));
      assert.equal(c.retryable, true, E.name);
      assert.equal(c.kind, E.name);
    }
    for (const E of [ccxt.InvalidOrder, ccxt.InsufficientFunds, ccxt.AuthenticationError, ccxt.BadRequest, ccxt.OrderNotFound, ccxt.ExchangeError]) {
      const c = classifyExchangeError(new E('x'));
      assert.equal(c.retryable, false, E.name);
      assert.equal(c.kind, E.name);
    }
  });

  it('a bad key is a permanent AuthenticationError whose message carries no credential', async () => {
    const h = await startHarness();
    try {
      const badSecret = 'wrong-secret-value-123456';
      const ex = createCcxtBinance({ mode: 'paper', simulatorUrl: h.sim.url, credentials: { apiKey: API_KEY, secret: badSecret }, timeoutMs: 1500 });
      const gw = new ExchangeGateway(ex, { retry: { attempts: 2, baseDelayMs: 5 } });
      await assert.rejects(gw.fetchBalance('USDT'), (err: unknown) => {
        const c = classifyExchangeError(err);
        assert.equal(c.retryable, false);
        assert.equal(c.kind, 'AuthenticationError');
        const text = `${(err as Error).message} ${(err as Error).stack} ${c.message}`;
        assert.ok(!text.includes(badSecret) && !text.includes(API_KEY) && !text.includes(API_SECRET), text);
        return true;
      });
      await ex.close();
    } finally {
      await h.close();
    }
  });

  it('live mode refuses without confirmation and keys; keys come from the environment only', () => {
    assert.throws(() => createCcxtBinance({ mode: 'live', credentials: { apiKey: 'a', secret: 'b' } }), LiveTradingRefused);
    assert.throws(() => createCcxtBinance({ mode: 'live', confirmLiveTrading: true }), LiveTradingRefused);
    assert.throws(() => createCcxtBinance({ mode: 'testnet' }), LiveTradingRefused);
    assert.equal(credentialsFromEnv({}), undefined);
    assert.deepEqual(credentialsFromEnv({ BINANCE_API_KEY: 'k1', BINANCE_API_SECRET: 's1' }), { apiKey: 'k1', secret: 's1' });
    const live = createCcxtBinance({ mode: 'live', confirmLiveTrading: true, credentials: { apiKey: 'k1', secret: 's1' } });
    assert.equal((live.urls['api'] as Record<string, string>)['private'], 'https://api.binance.com/api/v3');
    const test = createCcxtBinance({ mode: 'testnet', credentials: { apiKey: 'k1', secret: 's1' } });
    assert.equal((test.urls['api'] as Record<string, string>)['private'], 'https://testnet.binance.vision/api/v3');
    assert.throws(() => createCcxtBinance({ mode: 'paper', simulatorUrl: 'http://example.com:8710' }), /must be local/);
  });

  it('shares one rate-limited ccxt instance per account, never one per symbol', async () => {
    const opts = { mode: 'paper' as const, simulatorUrl: 'http://127.0.0.1:1', credentials: { apiKey: 'kA', secret: 'sA' } };
    const a = sharedCcxt(opts);
    const b = sharedCcxt({ ...opts });
    const other = sharedCcxt({ ...opts, credentials: { apiKey: 'kB', secret: 'sB' } });
    assert.equal(a, b);
    assert.notEqual(a, other);
    assert.equal(a.enableRateLimit, true);
    assert.equal(gatewayFor(a), gatewayFor(b), 'one gateway per shared instance');
    await closeSharedCcxt();
    assert.notEqual(sharedCcxt(opts), a, 'closed instances are dropped from the registry');
    await closeSharedCcxt();
  });
});
