import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from '../../src/exchange/ccxtLib';
import { API_KEY, API_SECRET, simTestBed, writeCandles, type SimTestBed } from '../support/simulator';

const SYMBOL = 'BTC/USDT';

async function balance(bed: SimTestBed, asset: string) {
  const b = (await bed.ex.fetchBalance()) as unknown as Record<string, { free: number; used: number; total: number }>;
  return b[asset] ?? { free: 0, used: 0, total: 0 };
}

async function rejects(p: Promise<unknown>, cls: new (...a: never[]) => Error, msg?: RegExp) {
  await assert.rejects(p, (err: Error) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err.constructor.name}: ${err.message}`);
    if (msg) assert.match(err.message, msg);
    return true;
  });
}

/** A fresh exchange at a known price: last trade 50000. */
async function freshBed(opts: Parameters<typeof simTestBed>[0] = {}) {
  const bed = await simTestBed(opts);
  await bed.sim.setPrice('BTCUSDT', 50000);
  return bed;
}

describe('simulator: limit and market orders through real ccxt', () => {
  let bed: SimTestBed;
  before(async () => {
    bed = await freshBed();
  });
  after(() => bed.close());

  it('locks the quote of a resting BUY and fills it only when a candle trades through its price', async () => {
    const order = await bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.01, 49000);
    assert.equal(order.status, 'open');
    assert.deepEqual([(await balance(bed, 'USDT')).free, (await balance(bed, 'USDT')).used], [9510, 490]);

    await bed.sim.setPrice('BTCUSDT', 49000); // touches the price: queue position unknown, no fill
    assert.equal((await bed.ex.fetchOrder(order.id!, SYMBOL)).status, 'open');

    await bed.sim.setPrice('BTCUSDT', 48999.99);
    const filled = await bed.ex.fetchOrder(order.id!, SYMBOL);
    assert.equal(filled.status, 'closed');
    assert.equal(filled.average, 49000);
    const usdt = await balance(bed, 'USDT');
    assert.deepEqual([usdt.free, usdt.used], [9510, 0]);
    // fee 0.1% taken from the received BTC, as Binance does without BNB
    assert.equal((await balance(bed, 'BTC')).total, 1.00999);
    const [trade] = await bed.ex.fetchMyTrades(SYMBOL);
    assert.equal(trade!.fee!.currency, 'BTC');
    assert.equal(trade!.fee!.cost, 0.00001);
    assert.equal(trade!.takerOrMaker, 'maker');
  });

  it('fills a marketable limit at once at the ask, and a market sell at the bid', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000);
    const buy = await bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.002, 51000);
    assert.equal(buy.status, 'closed');
    assert.equal(buy.average, 50000.01);
    const sell = await bed.ex.createOrder(SYMBOL, 'market', 'sell', 0.002);
    assert.equal(sell.status, 'closed');
    assert.equal(sell.average, 50000);
    assert.equal(sell.fee!.currency, 'USDT');
    assert.equal(sell.fee!.cost, 0.1);
  });

  it('lets a cancelled order release its lock', async () => {
    const order = await bed.ex.createOrder(SYMBOL, 'limit', 'sell', 0.1, 60000);
    assert.equal((await balance(bed, 'BTC')).used, 0.1);
    const cancelled = await bed.ex.cancelOrder(order.id!, SYMBOL);
    assert.equal(cancelled.status, 'canceled');
    assert.equal((await balance(bed, 'BTC')).used, 0);
  });

  it('executes a STOP_LOSS_LIMIT when the low reaches the stop, and refuses one that would trigger at once', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000);
    const stop = await bed.ex.createOrder(SYMBOL, 'limit', 'sell', 0.01, 48900, { stopLossPrice: 49000 });
    assert.equal(stop.info.type, 'STOP_LOSS_LIMIT');
    await bed.sim.setPrice('BTCUSDT', 49000.01);
    assert.equal((await bed.ex.fetchOrder(stop.id!, SYMBOL)).status, 'open');
    await bed.sim.setPrice('BTCUSDT', 48950);
    const done = await bed.ex.fetchOrder(stop.id!, SYMBOL);
    assert.equal(done.status, 'closed');
    assert.equal(done.average, 49000);
    await rejects(
      bed.ex.createOrder(SYMBOL, 'limit', 'sell', 0.01, 49500, { stopLossPrice: 50000 }),
      ccxt.OrderImmediatelyFillable,
      /Stop price would trigger immediately/,
    );
  });
});

describe('simulator: partial fills are bounded by candle volume', () => {
  let bed: SimTestBed;
  before(async () => {
    bed = await freshBed({
      fillParticipation: 0.1,
      accounts: [{ apiKey: API_KEY, apiSecret: API_SECRET, balances: { USDT: 100000, BTC: 1 } }],
    });
  });
  after(() => bed.close());

  it('fills at most volume x participation per candle, keeping the order open in between', async () => {
    const order = await bed.ex.createOrder(SYMBOL, 'limit', 'buy', 1, 49000);
    await bed.sim.setPrice('BTCUSDT', 48000, 3); // 10% of 3 BTC
    let seen = await bed.ex.fetchOrder(order.id!, SYMBOL);
    assert.deepEqual([seen.status, seen.filled, seen.info.status], ['open', 0.3, 'PARTIALLY_FILLED']);
    assert.equal((await balance(bed, 'USDT')).used, 34300); // 0.7 BTC x 49000 still reserved
    assert.equal((await balance(bed, 'USDT')).total, 100000 - 0.3 * 49000);
    await bed.sim.setPrice('BTCUSDT', 48500, 5);
    seen = await bed.ex.fetchOrder(order.id!, SYMBOL);
    assert.equal(seen.filled, 0.8);
    await bed.sim.setPrice('BTCUSDT', 48400, 100);
    seen = await bed.ex.fetchOrder(order.id!, SYMBOL);
    assert.deepEqual([seen.status, seen.filled], ['closed', 1]);
    assert.equal((await balance(bed, 'USDT')).used, 0);
    assert.equal((await bed.ex.fetchMyTrades(SYMBOL)).length, 3);
  });

  it('expires the unfilled rest of a market order that the candle could not absorb', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000, 1);
    const order = await bed.ex.createOrder(SYMBOL, 'market', 'sell', 0.5);
    assert.equal(order.info.status, 'EXPIRED');
    assert.equal(order.filled, 0.1);
  });
});

describe('simulator: filters and rejections map to ccxt error classes', () => {
  let bed: SimTestBed;
  before(async () => {
    bed = await freshBed();
  });
  after(() => bed.close());

  const raw = (extra: Record<string, string>) =>
    bed.ex.privatePostOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '40000', ...extra });

  it('PRICE_FILTER and LOT_SIZE failures are -1013 and ccxt InvalidOrder', async () => {
    await rejects(raw({ price: '40000.005' }), ccxt.InvalidOrder, /Filter failure: PRICE_FILTER/);
    await rejects(raw({ quantity: '0.000015' }), ccxt.InvalidOrder, /Filter failure: LOT_SIZE/);
  });

  it('a NOTIONAL failure is -1013, which ccxt maps to BadRequest', async () => {
    await rejects(raw({ quantity: '0.0001' }), ccxt.BadRequest, /"code":-1013,"msg":"Filter failure: NOTIONAL"/);
  });

  it('insufficient balance is ccxt InsufficientFunds', async () => {
    await rejects(bed.ex.createOrder(SYMBOL, 'limit', 'buy', 1, 40000), ccxt.InsufficientFunds);
    await rejects(bed.ex.createOrder(SYMBOL, 'limit', 'sell', 2, 60000), ccxt.InsufficientFunds);
  });

  it('a LIMIT_MAKER that would take is rejected (-2010) as OrderImmediatelyFillable', async () => {
    await rejects(
      bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 50001, { postOnly: true }),
      ccxt.OrderImmediatelyFillable,
      /Order would immediately match and take/,
    );
    const maker = await bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 49999, { postOnly: true });
    assert.equal(maker.info.type, 'LIMIT_MAKER');
    await bed.ex.cancelOrder(maker.id!, SYMBOL);
  });

  it('a duplicate client order id among open orders is refused; once closed it may be reused', async () => {
    const first = await bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000, { clientOrderId: 'dup-1' });
    await rejects(
      bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000, { clientOrderId: 'dup-1' }),
      ccxt.InvalidOrder,
      /Duplicate order sent/,
    );
    await bed.ex.cancelOrder(first.id!, SYMBOL);
    const again = await bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000, { clientOrderId: 'dup-1' });
    const found = await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 'dup-1' });
    assert.equal(found.id, again.id);
    await bed.ex.cancelOrder(again.id!, SYMBOL);
  });

  it('unknown orders: fetch is -2013, cancel is -2011, both ccxt OrderNotFound', async () => {
    await rejects(bed.ex.fetchOrder('987654', SYMBOL), ccxt.OrderNotFound, /-2013/);
    await rejects(bed.ex.cancelOrder('987654', SYMBOL), ccxt.OrderNotFound, /-2011/);
    const filled = await bed.ex.createOrder(SYMBOL, 'market', 'buy', 0.001);
    await rejects(bed.ex.cancelOrder(filled.id!, SYMBOL), ccxt.OrderNotFound, /Unknown order sent/);
  });

  it('an endpoint the simulator lacks is -1020, ccxt BadRequest (never retried)', async () => {
    await rejects(bed.ex.privatePostOrderCancelReplace({ symbol: 'BTCUSDT' }), ccxt.BadRequest, /-1020/);
  });

  it('an unknown symbol is -1121, ccxt BadSymbol', async () => {
    await rejects(bed.ex.publicGetTickerPrice({ symbol: 'DOGEUSDT' }), ccxt.BadSymbol);
  });
});

describe('simulator: OCO (POST /api/v3/orderList/oco)', () => {
  let bed: SimTestBed;
  before(async () => {
    bed = await freshBed();
  });
  after(() => bed.close());

  const sellOco = (above: string, below: string, extra: Record<string, string> = {}) =>
    bed.ex.privatePostOrderListOco({
      symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01',
      aboveType: 'LIMIT_MAKER', abovePrice: above,
      belowType: 'STOP_LOSS_LIMIT', belowStopPrice: below, belowPrice: (Number(below) - 100).toFixed(2), belowTimeInForce: 'GTC',
      ...extra,
    });

  it('SELL: limit above the last price and stop below it; the other relations are refused', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000);
    await rejects(sellOco('49000', '48000'), ccxt.InvalidOrder, /The relationship of the prices for the orders is not correct/);
    await rejects(sellOco('52000', '50500'), ccxt.InvalidOrder, /relationship of the prices/);
    // stop leg on the wrong side of a SELL list is an unsupported combination
    await rejects(
      bed.ex.privatePostOrderListOco({ symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', aboveType: 'STOP_LOSS', aboveStopPrice: '52000', belowType: 'LIMIT_MAKER', belowPrice: '48000' }),
      ccxt.InvalidOrder,
    );
    assert.equal((await balance(bed, 'BTC')).used, 0);
  });

  it('BUY: limit below the last price and stop above it', async () => {
    const ok = await bed.ex.privatePostOrderListOco({
      symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01',
      aboveType: 'STOP_LOSS_LIMIT', aboveStopPrice: '51000', abovePrice: '51100', aboveTimeInForce: 'GTC',
      belowType: 'LIMIT_MAKER', belowPrice: '49000',
    });
    assert.equal(ok.listOrderStatus, 'EXECUTING');
    assert.equal((await balance(bed, 'USDT')).used, 511); // one lock, at the dearer leg's price
    await bed.ex.privateDeleteOrderList({ symbol: 'BTCUSDT', orderListId: ok.orderListId });
    assert.equal((await balance(bed, 'USDT')).used, 0);
    await rejects(
      bed.ex.privatePostOrderListOco({
        symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01',
        aboveType: 'STOP_LOSS', aboveStopPrice: '49500', belowType: 'LIMIT_MAKER', belowPrice: '49000',
      }),
      ccxt.InvalidOrder,
      /relationship of the prices/,
    );
  });

  it('locks the quantity once; the target filling expires the stop', async () => {
    const list = await sellOco('52000', '48000', { listClientOrderId: 'oco-a', aboveClientOrderId: 'oco-a-tp', belowClientOrderId: 'oco-a-sl' });
    assert.equal(list.contingencyType, 'OCO');
    assert.equal((await balance(bed, 'BTC')).used, 0.01);
    const open = await bed.ex.fetchOpenOrders(SYMBOL);
    assert.deepEqual(open.map((o) => o.clientOrderId).sort(), ['oco-a-sl', 'oco-a-tp']);
    const usdtBefore = (await balance(bed, 'USDT')).free;

    await bed.sim.setPrice('BTCUSDT', 52000.01);
    const tp = await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 'oco-a-tp' });
    const sl = await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 'oco-a-sl' });
    assert.deepEqual([tp.info.status, sl.info.status], ['FILLED', 'EXPIRED']);
    const after = await bed.ex.privateGetOrderList({ orderListId: list.orderListId });
    assert.equal(after.listOrderStatus, 'ALL_DONE');
    assert.equal((await balance(bed, 'BTC')).used, 0);
    assert.equal((await balance(bed, 'USDT')).free, usdtBefore + 520 - 0.52);
  });

  it('cancelling one leg cancels the whole list and releases the lock', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000);
    const list = await sellOco('52000', '48000');
    const legId = String(list.orders[0].orderId);
    await bed.ex.cancelOrder(legId, SYMBOL);
    const lists = await bed.ex.privateGetOpenOrderList();
    assert.equal(lists.length, 0);
    const legs = await Promise.all(list.orders.map((o: { orderId: number }) => bed.ex.fetchOrder(String(o.orderId), SYMBOL)));
    assert.deepEqual(legs.map((o) => o.status), ['canceled', 'canceled']);
    assert.equal((await balance(bed, 'BTC')).used, 0);
  });

  it('a duplicate listClientOrderId of an executing list is refused', async () => {
    await sellOco('52000', '48000', { listClientOrderId: 'oco-dup' });
    await rejects(sellOco('53000', '47000', { listClientOrderId: 'oco-dup' }), ccxt.InvalidOrder, /Duplicate order sent/);
    await bed.ex.privateDeleteOrderList({ symbol: 'BTCUSDT', listClientOrderId: 'oco-dup' });
  });

  it('a TAKE_PROFIT_LIMIT above leg is judged by its stop price and triggers on the rise', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000);
    const tpLimit = (stop: string) =>
      bed.ex.privatePostOrderListOco({
        symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01',
        aboveType: 'TAKE_PROFIT_LIMIT', aboveStopPrice: stop, abovePrice: stop, aboveTimeInForce: 'GTC', aboveClientOrderId: `tpl-${stop}`,
        belowType: 'STOP_LOSS', belowStopPrice: '48000',
      });
    await rejects(tpLimit('49990'), ccxt.InvalidOrder, /relationship of the prices/);
    const list = await tpLimit('51000');
    await bed.sim.setPrice('BTCUSDT', 51000); // reaches the trigger: fills at 51000
    const tp = await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 'tpl-51000' });
    assert.deepEqual([tp.info.status, tp.average], ['FILLED', 51000]);
    assert.equal((await bed.ex.privateGetOrderList({ orderListId: list.orderListId })).listOrderStatus, 'ALL_DONE');
  });

  it('MAX_NUM_ALGO_ORDERS: at most 5 open stop orders per symbol, as on Binance', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await sellOco('52000', '48000')).orderListId);
    await rejects(sellOco('52000', '48000'), ccxt.InvalidOrder, /MAX_NUM_ALGO_ORDERS/);
    for (const id of ids) await bed.ex.privateDeleteOrderList({ symbol: 'BTCUSDT', orderListId: id });
    assert.equal((await balance(bed, 'BTC')).used, 0);
  });

  it('legacy POST /api/v3/order/oco places the same pair', async () => {
    const list = await bed.ex.privatePostOrderOco({
      symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01', price: '52000', stopPrice: '48000', stopLimitPrice: '47900', stopLimitTimeInForce: 'GTC',
    });
    const types = list.orderReports.map((r: { type: string }) => r.type).sort();
    assert.deepEqual(types, ['LIMIT_MAKER', 'STOP_LOSS_LIMIT']);
    await bed.ex.privateDeleteOrderList({ symbol: 'BTCUSDT', orderListId: list.orderListId });
  });
});

describe('simulator: within one candle the stop comes first (pessimistic)', () => {
  it('a candle touching both the stop and the target exits at the stop', async () => {
    const t0 = Date.UTC(2024, 0, 1);
    const q = 15 * 60_000;
    const file = writeCandles([
      [t0, 50000, 50100, 49900, 50000, 100],
      [t0 + q, 50000, 50100, 49900, 50000, 100],
      [t0 + 2 * q, 50000, 53000, 47000, 50000, 100], // wide candle: both legs inside
    ]);
    const bed = await simTestBed({ feed: { kind: 'candles', files: { BTCUSDT: file }, startAt: t0 + q } });
    try {
      const list = await bed.ex.privatePostOrderListOco({
        symbol: 'BTCUSDT', side: 'SELL', quantity: '0.01',
        aboveType: 'LIMIT_MAKER', abovePrice: '52000', aboveClientOrderId: 'w-tp',
        belowType: 'STOP_LOSS_LIMIT', belowStopPrice: '48000', belowPrice: '47500', belowTimeInForce: 'GTC', belowClientOrderId: 'w-sl',
      });
      assert.ok(list.orderListId >= 0);
      await bed.sim.advance(1);
      const sl = await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 'w-sl' });
      const tp = await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 'w-tp' });
      assert.deepEqual([sl.info.status, tp.info.status], ['FILLED', 'EXPIRED']);
      assert.equal(sl.average, 48000);
    } finally {
      await bed.close();
    }
  });
});

describe('simulator: OTOCO (POST /api/v3/orderList/otoco)', () => {
  let bed: SimTestBed;
  before(async () => {
    bed = await freshBed({ fillParticipation: 0.1 });
  });
  after(() => bed.close());

  const otoco = (id: string, pendingQuantity: string, extra: Record<string, string> = {}) =>
    bed.ex.privatePostOrderListOtoco({
      symbol: 'BTCUSDT', listClientOrderId: id,
      workingType: 'LIMIT', workingSide: 'BUY', workingPrice: '49000', workingQuantity: '0.01', workingTimeInForce: 'GTC', workingClientOrderId: `${id}-e`,
      pendingSide: 'SELL', pendingQuantity,
      pendingAboveType: 'LIMIT_MAKER', pendingAbovePrice: '52000', pendingAboveClientOrderId: `${id}-tp`,
      pendingBelowType: 'STOP_LOSS_LIMIT', pendingBelowStopPrice: '47000', pendingBelowPrice: '46900', pendingBelowTimeInForce: 'GTC', pendingBelowClientOrderId: `${id}-sl`,
      ...extra,
    });

  it('places the OCO pair only when the working order is FULLY filled', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000);
    const btcBefore = (await balance(bed, 'BTC')).total;
    const list = await otoco('t1', '0.00999'); // net of the 0.1% fee taken in BTC
    assert.equal(list.contingencyType, 'OTO');
    const statuses = () => Promise.all(['t1-e', 't1-tp', 't1-sl'].map(async (c) => (await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: c })).info.status));
    assert.deepEqual(await statuses(), ['NEW', 'PENDING_NEW', 'PENDING_NEW']);
    assert.deepEqual((await bed.ex.fetchOpenOrders(SYMBOL)).map((o) => o.clientOrderId), ['t1-e']);

    await bed.sim.setPrice('BTCUSDT', 48990, 0.05); // 0.005 of 0.01 fills
    assert.deepEqual(await statuses(), ['PARTIALLY_FILLED', 'PENDING_NEW', 'PENDING_NEW']);

    await bed.sim.setPrice('BTCUSDT', 48980, 1);
    assert.deepEqual(await statuses(), ['FILLED', 'NEW', 'NEW']);
    const btc = await balance(bed, 'BTC');
    assert.equal(btc.total, btcBefore + 0.00999);
    assert.equal(btc.used, 0.00999);

    await bed.sim.setPrice('BTCUSDT', 46950); // stop triggers, fills at 47000
    assert.deepEqual(await statuses(), ['FILLED', 'EXPIRED', 'FILLED']);
    assert.equal((await bed.ex.privateGetOrderList({ orderListId: list.orderListId })).listOrderStatus, 'ALL_DONE');
    assert.equal((await balance(bed, 'BTC')).total, btcBefore);
  });

  it('pending prices follow the OCO rules around the working price', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000);
    await rejects(otoco('t2', '0.00999', { pendingAbovePrice: '48500' }), ccxt.InvalidOrder, /relationship of the prices/);
  });

  it('cancelling the working order cancels its pending legs', async () => {
    const list = await otoco('t3', '0.00999');
    await bed.ex.cancelOrder('', SYMBOL, { origClientOrderId: 't3-e' });
    const after = await bed.ex.privateGetOrderList({ orderListId: list.orderListId });
    assert.equal(after.listOrderStatus, 'ALL_DONE');
    assert.equal((await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 't3-sl' })).info.status, 'CANCELED');
  });

  it('pending legs that the received quantity cannot cover expire (fee taken in the base asset)', async () => {
    // hold no spare BTC: sell it all first so only the fill itself can back the pending SELL
    const spare = (await balance(bed, 'BTC')).free;
    if (spare > 0) await bed.ex.createOrder(SYMBOL, 'market', 'sell', Math.floor(spare * 1e5) / 1e5);
    await bed.sim.setPrice('BTCUSDT', 50000);
    await otoco('t4', '0.01');
    await bed.sim.setPrice('BTCUSDT', 48990);
    const sl = await bed.ex.fetchOrder('', SYMBOL, { origClientOrderId: 't4-sl' });
    assert.equal(sl.info.status, 'EXPIRED');
  });
});

describe('simulator: order queries', () => {
  it('allOrders and myTrades list what happened, oldest first', async () => {
    const bed = await freshBed();
    try {
      const a = await bed.ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 40000);
      const b = await bed.ex.createOrder(SYMBOL, 'market', 'buy', 0.001);
      const all = await bed.ex.fetchOrders(SYMBOL);
      assert.deepEqual(all.map((o) => o.id), [a.id, b.id]);
      const trades = await bed.ex.fetchMyTrades(SYMBOL);
      assert.deepEqual(trades.map((t) => t.order), [b.id]);
    } finally {
      await bed.close();
    }
  });
});
