import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tradeIdFor } from '../../src/domain/newTrade';
import type { Trade } from '../../src/domain/trade';
import { fillOfReport, orderOfReport } from '../../src/exchange/gateway/mapping';
import { entryClientId, ocoListClientId, sliceEntryClientId, sliceListClientId, stopLegId, takeProfitLegId } from '../../src/oms/clientIds';
import { eventsOfUpdate, tradeOfUpdate } from '../../src/oms/streamEvents';

/** Binance spot executionReports (the fields the stream reads) as trade events: pure. */

const id = tradeIdFor('BTCUSDT', 7);
const trade: Trade = {
  id, symbol: 'BTCUSDT', direction: 'LONG', status: 'PENDING', entryPrice: 50000, stopLossPrice: 49000, takeProfitPrices: [52000],
  quantity: 0.01, positionSizePercent: 5, entryFills: [], exitFills: [], createdAt: 0,
  orders: [{ role: 'ENTRY', clientOrderId: entryClientId(id), quantity: 0.01, price: 50000, status: 'OPEN' }],
};
const report = (over: Record<string, unknown>) => ({
  e: 'executionReport', E: 1_700_000_000_100, s: 'BTCUSDT', c: entryClientId(id), S: 'BUY', o: 'LIMIT', q: '0.01000000', p: '50000.00000000',
  P: '0.00000000', g: -1, C: '', x: 'NEW', X: 'NEW', i: 42, l: '0.00000000', z: '0.00000000', L: '0.00000000', n: '0', N: null, T: 1_700_000_000_100,
  t: -1, Z: '0.00000000', ...over,
});
const update = (r: Record<string, unknown>) => ({ order: orderOfReport(r), ...(r.x === 'TRADE' ? { fill: fillOfReport(r) } : {}) });

describe('stream events: executionReports as the poller\'s trade events', () => {
  it('a fill of the entry: its id is <client id>:fill:<trade id>, the quantity what the base-asset fee leaves on the step, the fee in quote', () => {
    const u = update(report({ x: 'TRADE', X: 'PARTIALLY_FILLED', l: '0.00400000', z: '0.00400000', L: '49990.00000000', n: '0.00000400', N: 'BTC', t: 11, Z: '199.96' }));
    assert.equal(tradeOfUpdate(u, [trade])?.id, id);
    const [event, ...rest] = eventsOfUpdate(trade, u, 0.00001);
    assert.deepEqual(rest, []);
    assert.equal(event?.type, 'ENTRY_FILLED');
    assert.equal(event?.eventId, `${entryClientId(id)}:fill:11`);
    assert.ok(event?.type === 'ENTRY_FILLED' && event.quantity === 0.00399 && event.entryComplete === undefined);
    assert.ok(event?.type === 'ENTRY_FILLED' && Math.abs(event.fee - 0.000004 * 49990) < 1e-9);
    const last = eventsOfUpdate(trade, update(report({ x: 'TRADE', X: 'FILLED', l: '0.006', z: '0.01', L: '49990', n: '0.006', N: 'USDT', t: 12 })), 0.00001);
    assert.ok(last[0]?.type === 'ENTRY_FILLED' && last[0].entryComplete === true && last[0].fee === 0.006, 'the report that fills the order completes the entry');
  });

  it('a cancel is read by the cancelled order\'s own id (C), an expiry by its status; other legs\' ends and NEW say nothing', () => {
    const cancelled = update(report({ x: 'CANCELED', X: 'CANCELED', c: 'cancel-request-1', C: entryClientId(id) }));
    assert.deepEqual(eventsOfUpdate(trade, cancelled, 0.00001).map((e) => e.eventId), [`${entryClientId(id)}:canceled`]);
    assert.deepEqual(eventsOfUpdate(trade, update(report({ x: 'EXPIRED', X: 'EXPIRED' })), 0.00001).map((e) => e.type), ['ENTRY_EXPIRED']);
    assert.deepEqual(eventsOfUpdate(trade, update(report({})), 0.00001), []);
    const list = ocoListClientId(id, 0, 0, 0);
    assert.deepEqual(eventsOfUpdate(trade, update(report({ c: takeProfitLegId(list), S: 'SELL', x: 'EXPIRED', X: 'EXPIRED' })), 0.00001), []);
  });

  it('a stop leg\'s fill is STOP_FILLED, a take-profit\'s TARGET_FILLED with its target; another trade\'s order is not this trade\'s', () => {
    const list = ocoListClientId(id, 1, 0, 2);
    const stop = eventsOfUpdate(trade, update(report({ c: stopLegId(list), S: 'SELL', o: 'STOP_LOSS', x: 'TRADE', X: 'FILLED', l: '0.005', z: '0.005', L: '48990', t: 21 })), 0.00001);
    assert.deepEqual(stop.map((e) => [e.type, e.eventId]), [['STOP_FILLED', `${stopLegId(list)}:fill:21`]]);
    const tp = eventsOfUpdate(trade, update(report({ c: takeProfitLegId(list), S: 'SELL', x: 'TRADE', X: 'FILLED', l: '0.005', z: '0.005', L: '52000', t: 22 })), 0.00001);
    assert.ok(tp[0]?.type === 'TARGET_FILLED' && tp[0].targetIndex === 2);
    const other = update(report({ c: entryClientId(tradeIdFor('BTCUSDT', 8)), x: 'TRADE', X: 'FILLED', l: '0.01', z: '0.01', L: '50000', t: 23 }));
    assert.equal(tradeOfUpdate(other, [trade]), null);
    assert.deepEqual(eventsOfUpdate(trade, other, 0.00001), []);
  });

  it('a slice\'s working entry is an entry too: its fill and its end name that slice\'s entry order; its take-profit sells at the slice\'s target', () => {
    const list = sliceListClientId(id, 0, 1);
    const entry = sliceEntryClientId(list);
    const fill = eventsOfUpdate(trade, update(report({ c: entry, x: 'TRADE', X: 'FILLED', l: '0.005', z: '0.005', L: '50000', n: '0.005', N: 'USDT', t: 31 })), 0.00001);
    assert.deepEqual(fill.map((e) => [e.type, e.eventId]), [['ENTRY_FILLED', `${entry}:fill:31`]]);
    assert.ok(fill[0]?.type === 'ENTRY_FILLED' && fill[0].entryOrder === entry && fill[0].entryComplete === true);
    const cancelled = eventsOfUpdate(trade, update(report({ x: 'CANCELED', X: 'CANCELED', c: 'cancel-request-2', C: entry })), 0.00001);
    assert.ok(cancelled[0]?.type === 'ENTRY_CANCELLED' && cancelled[0].eventId === `${entry}:canceled` && cancelled[0].entryOrder === entry);
    const tp = eventsOfUpdate(trade, update(report({ c: takeProfitLegId(list), S: 'SELL', x: 'TRADE', X: 'FILLED', l: '0.005', z: '0.005', L: '52000', t: 32 })), 0.00001);
    assert.ok(tp[0]?.type === 'TARGET_FILLED' && tp[0].targetIndex === 1);
  });
});
