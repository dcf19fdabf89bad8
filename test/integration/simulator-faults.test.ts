import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from '../../src/exchange/ccxtLib';
import { createCcxtForSimulator } from '../../src/simulator/ccxtForSimulator';
import { API_KEY, API_SECRET, simTestBed, type SimTestBed } from '../support/simulator';

const SYMBOL = 'BTC/USDT';

async function rejects(p: Promise<unknown>, cls: new (...a: never[]) => Error) {
  await assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err.constructor.name}: ${err.message}`);
    return true;
  });
}

describe('simulator: injected faults, seen through real ccxt', () => {
  let bed: SimTestBed;
  before(async () => {
    bed = await simTestBed();
    await bed.sim.setPrice('BTCUSDT', 50000);
  });
  after(() => bed.close());

  it('500 with Binance -1001 is OperationFailed, 503 is ExchangeNotAvailable; nothing is placed', async () => {
    bed.sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'status', status: 500 });
    await rejects(bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000), ccxt.OperationFailed);
    bed.sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'status', status: 503 });
    await rejects(bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000), ccxt.ExchangeNotAvailable);
    assert.equal((await bed.ex.fetchOpenOrders(SYMBOL)).length, 0);
  });

  it('429 and 418 carry Retry-After and are DDoSProtection in ccxt', async () => {
    bed.sim.faults.add({ path: '/api/v3/ticker/price', kind: 'status', status: 429, retryAfterSeconds: 7 });
    const res = await fetch(`${bed.sim.url}/api/v3/ticker/price?symbol=BTCUSDT`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.equal(((await res.json()) as { code: number }).code, -1003);

    bed.sim.faults.add({ path: '/api/v3/account', kind: 'status', status: 418, retryAfterSeconds: 120 });
    await rejects(bed.ex.fetchBalance(), ccxt.DDoSProtection);
    bed.sim.faults.add({ path: '/api/v3/account', kind: 'status', status: 429, retryAfterSeconds: 1 });
    await rejects(bed.ex.fetchBalance(), ccxt.DDoSProtection);
    assert.equal((await bed.ex.fetchBalance()).total!['USDT' as never], 10000);
  });

  it('fires exactly `times` times and only for its method', async () => {
    bed.sim.faults.add({ method: 'GET', path: '/api/v3/openOrders', kind: 'status', status: 502, times: 2 });
    await rejects(bed.ex.fetchOpenOrders(SYMBOL), ccxt.ExchangeNotAvailable);
    await rejects(bed.ex.fetchOpenOrders(SYMBOL), ccxt.ExchangeNotAvailable);
    assert.deepEqual(await bed.ex.fetchOpenOrders(SYMBOL), []);
    bed.sim.faults.add({ method: 'DELETE', path: '/api/v3/order', kind: 'status', status: 500 });
    const placed = await bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000); // POST: unaffected
    await rejects(bed.ex.cancelOrder(placed.id!, SYMBOL), ccxt.OperationFailed);
    assert.equal((await bed.ex.cancelOrder(placed.id!, SYMBOL)).status, 'canceled');
  });

  it('clear() disarms every fault', async () => {
    bed.sim.faults.add({ path: '/api/v3/time', kind: 'status', status: 500, times: 5 });
    bed.sim.faults.clear();
    assert.ok(((await bed.ex.fetchTime()) ?? 0) > 0);
  });

  it('a held request times the client out (RequestTimeout); unexecuted, nothing is placed', async () => {
    const impatient = createCcxtForSimulator(bed.sim.url, API_KEY, API_SECRET, { timeout: 300 });
    await impatient.loadMarkets();
    bed.sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'timeout' });
    await rejects(impatient.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000, { clientOrderId: 'held-1' }), ccxt.RequestTimeout);
    await rejects(bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 'held-1' }), ccxt.OrderNotFound);
  });

  it('a held request that was executed leaves the order on the exchange', async () => {
    const impatient = createCcxtForSimulator(bed.sim.url, API_KEY, API_SECRET, { timeout: 300 });
    await impatient.loadMarkets();
    bed.sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'timeout', execute: true });
    await rejects(impatient.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000, { clientOrderId: 'held-2' }), ccxt.RequestTimeout);
    const found = await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 'held-2' });
    assert.equal(found.status, 'open');
    await bed.ex.cancelOrder(found.id!, SYMBOL);
  });

  it('lost response: the order IS placed, the client sees a NetworkError, and exactly one order exists', async () => {
    bed.sim.faults.add({ method: 'POST', path: '/api/v3/order', kind: 'lostResponse' });
    await rejects(bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000, { clientOrderId: 'lost-1' }), ccxt.NetworkError);
    const found = await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 'lost-1' });
    assert.equal(found.status, 'open');
    // the retry an OMS must not make blindly: the exchange refuses a second open order with that id
    await assert.rejects(bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000, { clientOrderId: 'lost-1' }), /Duplicate order sent/);
    const open = await bed.ex.fetchOpenOrders(SYMBOL);
    assert.deepEqual(open.map((o) => o.clientOrderId), ['lost-1']);
  });

  it('lost response on an order list: the OCO exists and is found by its listClientOrderId', async () => {
    bed.sim.faults.add({ method: 'POST', path: '/api/v3/orderList/oco', kind: 'lostResponse' });
    await rejects(
      bed.ex.privatePostOrderListOco({
        symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', listClientOrderId: 'lost-oco',
        aboveType: 'LIMIT_MAKER', abovePrice: '52000', belowType: 'STOP_LOSS', belowStopPrice: '48000',
      }),
      ccxt.NetworkError,
    );
    const list = await bed.ex.privateGetOrderList({ origClientOrderId: 'lost-oco' });
    assert.equal(list.listOrderStatus, 'EXECUTING');
    assert.equal(list.orders.length, 2);
  });
});
