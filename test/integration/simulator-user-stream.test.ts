import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Balances, Order, Trade } from 'ccxt';
import ccxt from '../../src/exchange/ccxtLib';
import { createCcxtProForSimulator } from '../../src/simulator/ccxtForSimulator';
import { ExchangeGateway } from '../../src/exchange/gateway';
import { API_KEY, API_SECRET, simTestBed, type SimTestBed } from '../support/simulator';
import { StreamWatch } from '../support/streamWatch';

const SYMBOL = 'BTC/USDT';
type Pro = ReturnType<typeof createCcxtProForSimulator>;
const raw = (o: Order | Trade) => o.info as Record<string, unknown>;

describe('simulator: user-data stream through the real ccxt websocket client (watchOrders, watchMyTrades, watchBalance)', () => {
  let bed: SimTestBed;
  let pro: Pro;
  let gateway: ExchangeGateway;
  let orders: StreamWatch<Order>;
  let trades: StreamWatch<Trade>;
  let balances: StreamWatch<Balances>;

  before(async () => {
    bed = await simTestBed({ fillParticipation: 1 });
    await bed.sim.setPrice('BTCUSDT', 50000);
    gateway = new ExchangeGateway(bed.ex);
  });
  after(() => bed.close());

  const open = async () => {
    pro = createCcxtProForSimulator(bed.sim.url, API_KEY, API_SECRET);
    await pro.loadMarkets();
    orders = new StreamWatch(() => pro.watchOrders());
    trades = new StreamWatch(() => pro.watchMyTrades());
    balances = new StreamWatch(async () => [await pro.watchBalance()]);
    await bed.sim.stream.waitForSubscriptions(1);
  };
  afterEach(async () => {
    orders?.stop();
    trades?.stop();
    balances?.stop();
    await pro?.close();
    await bed.sim.stream.waitForSubscriptions(0);
    bed.sim.stream.delay(0);
  });

  const lastOf = (cid: string) => [...orders.items].reverse().find((o) => o.clientOrderId === cid);

  it('a limit order: NEW, a partial fill, the rest, each trade with the REST trade id; then the balances', async () => {
    await open();
    const from = bed.sim.stream.events().length;
    await gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.01, price: 49000, clientOrderId: 'us-1' });
    await bed.sim.setPrice('BTCUSDT', 48900, 0.004); // 0.004 of volume: a partial fill
    await bed.sim.setPrice('BTCUSDT', 48800); // the rest
    await trades.until((t) => t.filter((x) => x.order !== undefined && raw(x).c === 'us-1').length === 2, 'two fills of us-1');
    await orders.until(() => lastOf('us-1')?.status === 'closed', 'us-1 closed');
    const rest = await bed.ex.fetchMyTrades(SYMBOL);
    const restIds = rest.filter((t) => String(t.order) === lastOf('us-1')!.id).map((t) => t.id);
    assert.deepEqual(trades.items.filter((t) => raw(t).c === 'us-1').map((t) => t.id), restIds);
    assert.deepEqual(trades.items.filter((t) => raw(t).c === 'us-1').map((t) => t.amount), [0.004, 0.006]);

    const seen = bed.sim.stream.events().slice(from);
    const reports = seen.filter((e) => e.e === 'executionReport').map((e) => `${e.x}/${e.X}`);
    assert.deepEqual(reports, ['NEW/NEW', 'TRADE/PARTIALLY_FILLED', 'TRADE/FILLED']);
    assert.equal(seen.at(-1)!.e, 'outboundAccountPosition', 'balances follow the order reports');
    await balances.until((b) => b.some((x) => Number(x.total?.['BTC' as never]) > 1), 'the BTC balance after the fill');
  });

  it('an OCO: both legs NEW and the list; the stop fills, the take-profit expires, the list is ALL_DONE', async () => {
    await open();
    const from = bed.sim.stream.events().length;
    await gateway.placeOco({
      symbol: 'BTCUSDT', side: 'SELL', quantity: 0.005, takeProfitPrice: 52000, stopPrice: 47000,
      listClientOrderId: 'us-oco', takeProfitClientOrderId: 'us-ocot', stopClientOrderId: 'us-ocos',
    });
    await bed.sim.setPrice('BTCUSDT', 46900);
    await orders.until(() => lastOf('us-ocos')?.status === 'closed' && lastOf('us-ocot')?.status === 'expired', 'stop filled, target expired');
    const seen = bed.sim.stream.events().slice(from);
    // the stop's trigger expires the take-profit before the stop fills (README: a leg that triggers expires the other)
    const names = seen.map((e) => (e.e === 'executionReport' ? `${e.c}:${e.x}` : e.e === 'listStatus' ? `list:${e.L}` : e.e));
    assert.deepEqual(names, ['us-ocot:NEW', 'us-ocos:NEW', 'list:EXECUTING', 'outboundAccountPosition', 'us-ocot:EXPIRED', 'us-ocos:TRADE', 'list:ALL_DONE', 'outboundAccountPosition']);
  });

  it('an OTOCO: the pending pair is PENDING_NEW until the working order fills fully, then NEW; a cancel and a market expiry arrive too', async () => {
    await bed.sim.setPrice('BTCUSDT', 50000);
    await open();
    await gateway.placeOtoco({
      symbol: 'BTCUSDT', side: 'BUY', entryPrice: 49500, entryQuantity: 0.002, entryClientOrderId: 'us-w',
      protectionQuantity: 0.001, takeProfitPrice: 52000, stopPrice: 48000,
      listClientOrderId: 'us-L', takeProfitClientOrderId: 'us-Lt', stopClientOrderId: 'us-Ls',
    });
    await orders.until(() => raw(lastOf('us-Ls') ?? ({ info: {} } as Order)).X === 'PENDING_NEW', 'pending stop leg');
    await bed.sim.setPrice('BTCUSDT', 49400);
    await orders.until(() => lastOf('us-w')?.status === 'closed' && raw(lastOf('us-Ls')!).X === 'NEW', 'working filled, pair live');

    await gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 40000, clientOrderId: 'us-c' });
    await gateway.cancelOrder('BTCUSDT', 'us-c');
    await orders.until(() => lastOf('us-c')?.status === 'canceled', 'cancel');
    await bed.sim.setPrice('BTCUSDT', 49400, 0.0005); // thin candle: a market order fills in part, the rest expires
    await gateway.placeMarketOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.002, clientOrderId: 'us-m' });
    await orders.until(() => lastOf('us-m')?.status === 'expired', 'market rest expired');
    assert.equal(lastOf('us-m')!.filled, 0.0005);
  });

  it('faults: a dropped connection fails the watch and the next call subscribes again; a duplicated event arrives twice; a terminated subscription ends and a new client subscribes again; a delayed event still arrives', async () => {
    await open();
    bed.sim.stream.drop();
    await orders.until((_, errors) => errors.some((e) => e instanceof ccxt.NetworkError), 'NetworkError after the drop');
    await bed.sim.stream.waitForSubscriptions(1);

    bed.sim.stream.duplicateNext(1);
    await gateway.placeLimitOrder({ symbol: 'BTCUSDT', side: 'BUY', quantity: 0.001, price: 45000, clientOrderId: 'us-d' });
    await orders.until(() => lastOf('us-d') !== undefined, 'us-d');
    const frames = bed.sim.stream.events().filter((e) => e.e === 'executionReport' && e.c === 'us-d');
    assert.equal(frames.length, 1, 'the engine made one event; the fault sent it twice on the wire');

    // eventStreamTerminated ends the subscription on the server. ccxt 4.5.84 does not subscribe
    // again on the same client by itself (seen here): a consumer must notice and open a new client.
    const before = bed.sim.stream.subscribeCount();
    bed.sim.stream.terminate();
    await bed.sim.stream.waitForSubscriptions(0);
    orders.stop();
    trades.stop();
    balances.stop();
    await pro.close();
    await open();
    assert.equal(bed.sim.stream.subscribeCount(), before + 1);
    bed.sim.stream.delay(50);
    await gateway.cancelOrder('BTCUSDT', 'us-d');
    await orders.until(() => lastOf('us-d')?.status === 'canceled', 'the delayed cancel of us-d');
  });
});
