import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tradeIdFor } from '../../src/domain/newTrade';
import {
  belongsTo,
  entryClientId,
  listIdOfLeg,
  marketCloseClientId,
  ocoListClientId,
  otocoListClientId,
  otocoStopClientId,
  otocoTakeProfitClientId,
  parseClientId,
  stopLegId,
  takeProfitLegId,
  tradeKey,
} from '../../src/oms/clientIds';

const BINANCE_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;

describe('client id scheme', () => {
  const ids = (tradeId: string) => {
    const oco = ocoListClientId(tradeId, 123, 456, 4);
    return [
      entryClientId(tradeId),
      otocoListClientId(tradeId),
      otocoTakeProfitClientId(tradeId),
      otocoStopClientId(tradeId),
      oco,
      takeProfitLegId(oco),
      stopLegId(oco),
      marketCloseClientId(tradeId, 123, 456),
    ];
  };

  it('fits Binance (36 chars of [.A-Z:/a-z0-9_-]) for ordinary and very long trade ids', () => {
    for (const tradeId of [tradeIdFor('BTCUSDT', 1), tradeIdFor('BTCUSDT', 999_999_999), tradeIdFor('1000SATS/FDUSD', 42), 'T-weird id with spaces & more']) {
      for (const id of ids(tradeId)) assert.match(id, BINANCE_ID, `${tradeId}: ${id}`);
    }
  });

  it('is deterministic and readable for ordinary trade ids', () => {
    const t = tradeIdFor('BTCUSDT', 12);
    assert.equal(entryClientId(t), 'de-T-BTCUSDT-000012-e');
    assert.equal(ocoListClientId(t, 1, 2, 0), 'de-T-BTCUSDT-000012-p1.2.0');
    assert.equal(entryClientId(t), entryClientId(tradeIdFor('BTC/USDT', 12)));
    const long = tradeIdFor('1000SATSFDUSD', 123456);
    assert.equal(tradeKey(long), tradeKey(long));
    assert.notEqual(tradeKey(long), tradeKey(tradeIdFor('1000SATSFDUSD', 123457)));
  });

  it('parses every leg back, and tells ours from anyone else', () => {
    const t = tradeIdFor('ETHUSDT', 7);
    assert.deepEqual(parseClientId(entryClientId(t))?.leg, { kind: 'entry' });
    assert.deepEqual(parseClientId(otocoStopClientId(t))?.leg, { kind: 'otoco', leg: 'stop' });
    const oco = ocoListClientId(t, 3, 1, 2);
    assert.deepEqual(parseClientId(takeProfitLegId(oco))?.leg, { kind: 'oco', generation: 3, chunk: 1, target: 2, leg: 'takeProfit' });
    assert.deepEqual(parseClientId(marketCloseClientId(t, 0, 4))?.leg, { kind: 'close', generation: 0, chunk: 4 });
    assert.equal(listIdOfLeg(stopLegId(oco)), oco);
    assert.equal(listIdOfLeg(otocoTakeProfitClientId(t)), otocoListClientId(t));
    assert.equal(listIdOfLeg(entryClientId(t)), null);
    assert.ok(belongsTo(stopLegId(oco), t));
    assert.ok(!belongsTo(stopLegId(oco), tradeIdFor('ETHUSDT', 8)));
    for (const foreign of ['web_3f6286480b19', 'x-TKT5PX2F662cde7a90114475b86e21', 'de-', 'de-x', 'de-T-1-zz']) {
      assert.equal(parseClientId(foreign), null, foreign);
    }
  });
});
