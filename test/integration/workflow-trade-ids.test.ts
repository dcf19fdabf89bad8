import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tradeIdFor } from '../../src/domain/newTrade';
import type { Trade } from '../../src/domain/trade';
import { traderWorkflowId } from '../../src/contract/ids';
import { stateQuery, stopSignal } from '../../src/contract/signals';
import { doNothing, ExchangeModel, planLong } from '../support/temporalExchange';
import { recordHistory } from '../support/temporalHistories';
import { withWorker } from '../support/temporalEnv';
import { INTERVAL, traderSuite } from '../support/traderHarness';

/**
 * Trade ids (and the client order ids derived from them) must never repeat for a symbol, and
 * neither may trade log row ids: a symbol workflow stopped and started fresh begins at sequence 0,
 * so it continues after the highest sequence the exchange has seen. Also: the state carries the
 * last market price, and the activities that heartbeat are scheduled with a heartbeat timeout.
 */

const suite = traderSuite();

const HEARTBEATING = ['reconcileSymbol', 'fetchMarketData', 'askStrategist', 'executeAiCommand', 'ensureProtection', 'cancelPendingOrder', 'cancelProtection'];

describe('symbolTrader trade ids and row ids', () => {
  test('started fresh where the exchange has seen trade 41: the first PLAN_TRADE is trade 42', async () => {
    const symbol = 'BTCUSDT';
    const model = new ExchangeModel();
    model.highestSequence = 41;
    model.lastPrice = 123.5;
    model.script = (i) => (i.trade ? doNothing() : planLong(symbol));
    await withWorker(suite.env, model.activities(), async (taskQueue) => {
      const handle = await suite.startTrader(taskQueue, symbol);
      await model.until(() => model.hasRow((r) => r.kind === 'ORDER' && r.action === 'PLAN_TRADE'), 'PLAN_TRADE carried out');
      assert.deepEqual(model.strategistSequences(), [42]);
      assert.deepEqual(model.callsOf('executeAiCommand').map((i) => i.sequence), [42]);
      const s = await handle.query(stateQuery);
      assert.equal(s.trade?.id, tradeIdFor(symbol, 42));
      assert.equal(s.trade?.id, 'T-BTCUSDT-000042');
      assert.equal(s.sequence, 42);
      assert.ok(model.hasRow((r) => r.kind === 'RECONCILE' && r.detail.includes('continues after 41')), 'the jump is journaled');

      assert.equal(s.lastPrice?.price, 123.5, 'the last market price is in the state');
      assert.ok(Number.isFinite(s.lastPrice?.at));

      await handle.signal(stopSignal);
      await handle.result();

      // every activity that heartbeats is scheduled with a heartbeat timeout; the quick ones without
      const scheduled = ((await handle.fetchHistory()).events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes)
        .filter((a) => !!a)
        .map((a) => [a.activityType?.name, Number(String(a.heartbeatTimeout?.seconds ?? 0))] as const);
      const names = new Set(scheduled.map(([name]) => name));
      for (const name of ['reconcileSymbol', 'fetchMarketData', 'askStrategist', 'executeAiCommand', 'appendTradeLog', 'watchOrders']) {
        assert.ok(names.has(name), `${name} was scheduled`);
      }
      for (const [name, seconds] of scheduled) {
        if (HEARTBEATING.includes(name!)) assert.ok(seconds >= 5 && seconds <= 30, `${name}: heartbeat timeout ${seconds} s`);
        else assert.equal(seconds, 0, `${name} does not heartbeat`);
      }
      await recordHistory(handle, 'trader-fresh-start-after-old-trades');
    });
  });

  test('while reconciliation fails no new trade is placed; once it succeeds the trade id comes after the exchange\'s', async () => {
    const symbol = 'XRPUSDT';
    const model = new ExchangeModel();
    model.highestSequence = 41;
    model.broken.add('reconcileSymbol');
    model.script = (i) => (i.trade ? doNothing() : planLong(symbol));
    await withWorker(suite.env, model.activities(), async (taskQueue) => {
      const handle = await suite.startTrader(taskQueue, symbol);
      await model.until(() => model.hasRow((r) => r.kind === 'DECISION' && r.detail.startsWith('not carried out: no new trade until the exchange is reconciled')), 'PLAN_TRADE held back');
      assert.equal(model.callsOf('executeAiCommand').length, 0);
      let s = await handle.query(stateQuery);
      assert.equal(s.lastDecision?.outcome, 'NOT_EXECUTED');
      assert.equal(s.reconcileNeeded, true);

      model.broken.delete('reconcileSymbol');
      await suite.env.sleep(INTERVAL);
      await model.until(() => model.callsOf('executeAiCommand').length === 1, 'PLAN_TRADE carried out after reconciling');
      s = await handle.query(stateQuery);
      assert.equal(s.trade?.id, tradeIdFor(symbol, 42));
      assert.deepEqual(model.strategistSequences(), [1, 42]);
      await handle.signal(stopSignal);
      await handle.result();
      await recordHistory(handle, 'trader-plan-held-until-reconciled');
    });
  });

  test('a trade recovered from the exchange raises the sequence to its own', async () => {
    const symbol = 'ETHUSDT';
    const model = new ExchangeModel();
    const recovered: Trade = {
      id: tradeIdFor(symbol, 7),
      symbol,
      direction: 'LONG',
      status: 'PENDING',
      entryPrice: 99,
      stopLossPrice: 95,
      takeProfitPrices: [110],
      quantity: 1,
      positionSizePercent: 5,
      entryFills: [],
      exitFills: [],
      orders: [{ role: 'ENTRY', clientOrderId: 'de-T-ETHUSDT-000007-e', exchangeOrderId: '7', quantity: 1, price: 99, status: 'OPEN' }],
      createdAt: 1_700_000_000_000,
    };
    model.recovered = recovered;
    model.script = () => doNothing();
    await withWorker(suite.env, model.activities(), async (taskQueue) => {
      const handle = await suite.startTrader(taskQueue, symbol);
      await model.until(() => model.hasRow((r) => r.kind === 'DECISION' && r.symbol === symbol), 'first cycle journaled');
      assert.deepEqual(model.strategistSequences(), [8]);
      assert.equal(model.callsOf('askStrategist')[0].trade.id, recovered.id, 'the recovered trade was adopted');
      await handle.signal(stopSignal);
      const final = await handle.result();
      assert.equal(final.sequence, 8);
    });
  });

  test('a workflow id started again from scratch writes new trade log rows, not ids the journal already has', async () => {
    const symbol = 'SOLUSDT';
    const model = new ExchangeModel();
    model.script = () => doNothing();
    await withWorker(suite.env, model.activities(), async (taskQueue) => {
      for (let run = 1; run <= 2; run++) {
        const handle = await suite.startTrader(taskQueue, symbol);
        await model.until(() => model.journal().filter((r) => r.kind === 'DECISION').length === run, `cycle of run ${run} journaled`);
        await handle.signal(stopSignal);
        const final = await handle.result();
        assert.equal(final.journalSeq > 0, true);
      }
      // the journal (like appendTradeLog) keeps the first row written under an id and skips repeats
      const stops = model.journal().filter((r) => r.kind === 'CONTROL' && r.detail === 'stop: no open trade');
      assert.equal(stops.length, 2, 'the second run\'s rows were written, not skipped as duplicates');
      const ids = model.journal().map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length);
      const runIds = new Set(ids.map((id) => id.split(':')[1]));
      assert.equal(runIds.size, 2, 'row ids name the first run of each start');
      assert.ok(ids.every((id) => id.startsWith(`${traderWorkflowId(symbol)}:`)));
    });
  });
});
