import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { tradeIdFor } from '../../src/domain/newTrade';
import { traderWorkflowId } from '../../src/contract/ids';
import { cancelOrderSignal, orderEventSignal, stopSignal } from '../../src/contract/signals';
import type { symbolTrader } from '../../src/workflows/symbolTrader';
import { adjustTrade, cancelTrade, decision, doNothing, ExchangeModel, FEE, planLong, type Script } from '../support/temporalExchange';
import { recordHistory } from '../support/temporalHistories';
import { binaryPath, withWorker } from '../support/temporalEnv';
import { cycleDone, fillEntry, INTERVAL, state, type Trader, traderSuite, transition, withPlannedTrader } from '../support/traderHarness';

/**
 * symbolTrader on the time-skipping test server. The test plays the order monitor by signalling
 * order events itself (the monitor has its own tests); a 15-minute cycle passes with env.sleep.
 */

const suite = traderSuite();

async function tradeStatusAttribute(handle: Trader): Promise<unknown> {
  return (await handle.describe()).searchAttributes['TradeStatus'];
}

describe('symbolTrader', () => {
  test('PENDING -> ACTIVE -> CLOSED by the stop, reacting to each event at once', async () => {
    await withPlannedTrader(suite, 'BTCUSDT', {}, async (run) => {
      const { model, handle, tradeId } = run;
      let s = await state(handle);
      assert.equal(s.trade?.id, tradeId);
      assert.equal(s.trade?.status, 'PENDING');
      assert.deepEqual(await tradeStatusAttribute(handle), ['PENDING']);
      assert.equal(model.callsOf('reconcileSymbol').length, 1, 'reconciled once on start');
      assert.deepEqual(model.callsOf('watchOrders').map((i) => i.trade.status), ['PENDING'], 'the monitor learned the entry');

      await fillEntry(run);
      assert.deepEqual(model.callsOf('ensureProtection').map((i) => i.quantity), [1]);
      s = await state(handle);
      assert.equal(s.trade?.status, 'ACTIVE');
      assert.ok(s.trade?.orders.some((o) => o.role === 'OCO' && o.status === 'OPEN'), 'protection recorded on the trade');
      assert.equal(s.sequence, 1, 'handled between cycles, without waiting for the timer');

      await handle.signal(orderEventSignal, model.hitStop(tradeId)); // a single event, not an array, is accepted too
      await transition(model, 'ACTIVE->CLOSED');
      s = await state(handle);
      assert.equal(s.trade?.status, 'CLOSED');
      assert.equal(s.trade?.exitFills[0]?.reason, 'STOP');
      assert.equal(s.trade?.realizedPnl, 95 - 100 - 2 * FEE);
      assert.equal(s.sequence, 1);
      assert.equal(model.callsOf('cancelProtection').length, 1, 'leftover protection cancelled once flat');
      assert.deepEqual(await tradeStatusAttribute(handle), ['CLOSED']);
      assert.equal(model.callsOf('watchOrders').at(-1).trade.status, 'CLOSED', 'the monitor was told the trade is over');
      // the trade log's columns carry the levels, the size and, on close, the result
      const closing = model.journal().find((r) => r.action === 'ACTIVE->CLOSED') as Record<string, unknown> | undefined;
      assert.ok(closing, 'the close is in the trade log');
      assert.equal(closing.direction, 'LONG');
      assert.equal(closing.price, 100);
      assert.equal(closing.quantity, 1);
      assert.equal(closing.stopLoss, s.trade?.stopLossPrice);
      assert.deepEqual(closing.takeProfits, s.trade?.takeProfitPrices);
      assert.equal(closing.pnl, s.trade?.realizedPnl);
      assert.equal(closing.fees, s.trade?.fees);

      // the next cycle sees no open trade
      await suite.env.sleep(INTERVAL);
      await cycleDone(model, 2);
      assert.equal(model.callsOf('askStrategist').at(-1).trade, null);

      await handle.signal(stopSignal);
      const final = await handle.result();
      assert.equal(final.phase, 'STOPPED');
      await recordHistory(handle, 'trader-closed-by-stop');
    });
  });

  test('PENDING -> ACTIVE -> CLOSED by the targets, through a partial take-profit', async () => {
    await withPlannedTrader(suite, 'ETHUSDT', { targets: [110, 120] }, async (run) => {
      const { model, handle, tradeId } = run;
      await fillEntry(run);
      const placed = (await state(handle)).trade!.orders.filter((o) => o.role === 'OCO');
      assert.deepEqual(placed.map((o) => [o.price, o.stopPrice, o.quantity]), [[110, 95, 0.5], [120, 95, 0.5]]);
      // protection placed after the fill has ORDER rows of its own: the order's side, type, id and levels
      await model.until(() => model.hasRow((r) => r.action === 'ENSURE_PROTECTION'), 'protection journaled');
      const protectionRows = model.journal().filter((r) => r.kind === 'ORDER' && r.action === 'ENSURE_PROTECTION');
      assert.deepEqual(
        protectionRows.map((r) => [r.tradeId, r.side, r.orderType, r.clientOrderId, r.quantity, r.price, r.stopLoss]),
        placed.map((o) => [tradeId, 'SELL', 'OCO', o.clientOrderId, 0.5, o.price, 95]),
      );
      assert.match(protectionRows[0]!.detail, /^protection placed: OCO SELL 0\.5 at 110 \/ stop 95 \(target 1\)$/);
      const activeAt = model.journal().findIndex((r) => r.action === 'PENDING->ACTIVE');
      assert.ok(model.journal().indexOf(protectionRows[0]!) > activeAt, 'after the fill');

      await handle.signal(orderEventSignal, [model.hitTarget(tradeId, 0, 0.5)]);
      await model.until(() => model.hasRow((r) => r.action === 'TARGET_FILLED'), 'first target journaled');
      let s = await state(handle);
      assert.equal(s.trade?.status, 'ACTIVE', 'half the position is still open');

      await handle.signal(orderEventSignal, [model.hitTarget(tradeId, 1, 0.5)]);
      await transition(model, 'ACTIVE->CLOSED');
      s = await state(handle);
      assert.equal(s.trade?.status, 'CLOSED');
      assert.deepEqual(s.trade?.exitFills.map((f) => [f.reason, f.targetIndex]), [['TARGET', 0], ['TARGET', 1]]);
      assert.equal(s.trade?.realizedPnl, 0.5 * 110 + 0.5 * 120 - 100 - 3 * FEE);
      await handle.signal(stopSignal, {});
      await handle.result();
      // trader-closed-by-targets.json is the same run from before the protection-order-rows patch
      await recordHistory(handle, 'trader-closed-by-targets-order-rows');
    });
  });

  test('an entry that fills as it is placed is protected and journaled, though the OMS already applied the fill', async () => {
    const setup = (model: ExchangeModel) => (model.fillOnPlacement = true);
    await withPlannedTrader(suite, 'MATICUSDT', { targets: [110, 120], setup }, async ({ model, handle }) => {
      await transition(model, 'PENDING->ACTIVE');
      await model.until(() => model.callsOf('ensureProtection').length === 1, 'protected');
      assert.equal(model.callsOf('ensureProtection')[0].quantity, 1);
      const s = await state(handle);
      assert.equal(s.trade?.status, 'ACTIVE');
      assert.equal(s.trade?.entryFills.length, 1, 'the fill counted once');
      assert.equal(s.trade?.orders.filter((o) => o.role === 'OCO' && o.status === 'OPEN').length, 2);
      await handle.signal(stopSignal);
      await handle.result();
    });
  });

  test('the strategist cancels a PENDING entry on a later cycle', async () => {
    const symbol = 'SOLUSDT';
    const tradeId = tradeIdFor(symbol, 1);
    const script: Script = (i) => (i.sequence === 1 ? planLong(symbol) : i.sequence === 2 ? cancelTrade(tradeId) : doNothing());
    await withPlannedTrader(suite, symbol, { script }, async ({ model, handle }) => {
      await suite.env.sleep(INTERVAL);
      await cycleDone(model, 2);
      await transition(model, 'PENDING->CANCELLED');
      const s = await state(handle);
      assert.equal(s.trade?.status, 'CANCELLED');
      assert.equal(s.lastDecision?.action, 'CANCEL_ORDER');
      assert.equal(s.lastDecision?.outcome, 'EXECUTED');
      assert.deepEqual(model.callsOf('executeAiCommand').map((i) => i.command.action), ['PLAN_TRADE', 'CANCEL_ORDER']);
      assert.deepEqual(await tradeStatusAttribute(handle), ['CANCELLED']);
      await handle.signal(stopSignal);
      await handle.result();
      await recordHistory(handle, 'trader-cancel-by-strategist');
    });
  });

  test('cancelOrder by signal, also as a plain `temporal workflow signal` with or without input', async () => {
    await withPlannedTrader(suite, 'XRPUSDT', {}, async ({ model, handle }) => {
      const cli = binaryPath('TEMPORAL_CLI_PATH', 'temporal');
      const signal = (...input: string[]) =>
        promisify(execFile)(cli, ['workflow', 'signal', '--address', suite.env.address, '--namespace', suite.env.namespace ?? 'default',
          '--workflow-id', handle.workflowId, '--name', 'cancelOrder', ...input]);
      await signal('--input', '{"reason":"news ahead"}');
      await transition(model, 'PENDING->CANCELLED');
      assert.deepEqual(model.callsOf('cancelPendingOrder').map((i) => i.reason), ['news ahead']);
      assert.ok(model.hasRow((r) => r.kind === 'CONTROL' && r.detail === 'cancelOrder: news ahead'));

      // nothing PENDING any more: a bare signal (no input at all) is recorded and changes nothing
      await signal();
      await model.until(() => model.hasRow((r) => r.kind === 'CONTROL' && r.detail.includes('ignored: there is no PENDING entry')), 'bare cancel journaled');
      assert.equal(model.callsOf('cancelPendingOrder').length, 1);
      assert.equal((await state(handle)).sequence, 1, 'no cycle was needed to react');
      await handle.signal(stopSignal);
      await handle.result();
    });
  });

  test('cancelOrder of an ACTIVE position is refused: the position keeps its protection', async () => {
    await withPlannedTrader(suite, 'ADAUSDT', {}, async (run) => {
      const { model, handle } = run;
      await fillEntry(run);
      await handle.signal(cancelOrderSignal, { reason: 'panic' });
      await model.until(() => model.hasRow((r) => r.kind === 'CONTROL' && r.detail.includes('is ACTIVE')), 'refusal journaled');
      assert.equal(model.callsOf('cancelPendingOrder').length, 0);
      assert.equal(model.callsOf('cancelProtection').length, 0);
      assert.equal((await state(handle)).trade?.status, 'ACTIVE');
      await handle.signal(stopSignal);
      await handle.result();
    });
  });

  test('ADJUST_TRADE moves the stop of an ACTIVE position', async () => {
    const symbol = 'BNBUSDT';
    const tradeId = tradeIdFor(symbol, 1);
    const script: Script = (i) => (i.sequence === 1 ? planLong(symbol) : i.sequence === 2 ? adjustTrade(tradeId, 100, [115]) : doNothing());
    await withPlannedTrader(suite, symbol, { script }, async (run) => {
      const { model, handle } = run;
      await fillEntry(run);
      await suite.env.sleep(INTERVAL);
      await cycleDone(model, 2);
      await model.until(() => model.hasRow((r) => r.action === 'PROTECTION_ADJUSTED'), 'adjustment journaled');
      const s = await state(handle);
      assert.equal(s.trade?.status, 'ACTIVE');
      assert.equal(s.trade?.stopLossPrice, 100);
      assert.deepEqual(s.trade?.takeProfitPrices, [115]);
      const open = s.trade!.orders.filter((o) => o.role === 'OCO' && o.status === 'OPEN');
      assert.deepEqual(open.map((o) => [o.price, o.stopPrice]), [[115, 100]], 'the new levels replaced the old protection');
      assert.equal(model.callsOf('askStrategist')[1].trade.status, 'ACTIVE', 'the strategist saw the ACTIVE trade');
      const cycle2 = model.calls.findIndex((c, i) => c.name === 'fetchMarketData' && i > model.calls.findIndex((d) => d.name === 'fetchMarketData'));
      assert.equal(model.calls[cycle2 - 1]?.name, 'watchOrders', 'an open trade is re-sent to the monitor every cycle');
      assert.equal(model.calls[cycle2 - 1]?.input.trade.status, 'ACTIVE');
      await handle.signal(stopSignal);
      await handle.result();
      await recordHistory(handle, 'trader-adjust');
    });
  });

  test('a failing strategist costs one cycle, a refused answer is recorded, and the loop goes on', async () => {
    const symbol = 'DOGEUSDT';
    const script: Script = (i) => {
      if (i.sequence === 1) throw new Error('connection reset');
      if (i.sequence === 2) {
        return decision(
          { action: 'DO_NOTHING', reasoning: 'answer rejected: stop above entry' },
          { accepted: false, source: 'llm', rejection: { stage: 'validation', code: 'STOP_WRONG_SIDE', reason: 'stop 105 is above the entry 100' } },
        );
      }
      return planLong(symbol);
    };
    await withPlannedTrader(suite, symbol, { script }, async ({ model, handle }) => {
      let s = await state(handle);
      assert.equal(s.lastDecision?.action, 'DO_NOTHING');
      assert.equal(s.lastDecision?.rejection?.code, 'STRATEGIST_FAILED');
      assert.match(s.lastDecision?.rejection?.reason ?? '', /connection reset/);
      assert.equal(model.callsOf('askStrategist').length, 1, 'a non-retryable failure is not retried');

      await suite.env.sleep(INTERVAL);
      await cycleDone(model, 2);
      assert.ok(model.hasRow((r) => r.kind === 'REJECTION' && r.sequence === 2 && r.detail.includes('STOP_WRONG_SIDE')));
      assert.equal(model.callsOf('executeAiCommand').length, 0, 'nothing reached the OMS');

      await suite.env.sleep(INTERVAL);
      await cycleDone(model, 3);
      s = await state(handle);
      assert.equal(s.trade?.id, tradeIdFor(symbol, 3), 'the trade id comes from the cycle sequence');
      assert.equal(s.trade?.status, 'PENDING');
      await handle.signal(stopSignal);
      await handle.result();
      await recordHistory(handle, 'trader-strategist-fails');
    });
  });

  test('a cycle without market data asks nobody and the next cycle runs as usual', async () => {
    const symbol = 'UNIUSDT';
    const setup = (model: ExchangeModel) => model.broken.add('fetchMarketData');
    await withPlannedTrader(suite, symbol, { script: () => planLong(symbol), setup }, async ({ model, handle }) => {
      let s = await state(handle);
      assert.equal(s.lastDecision?.rejection?.code, 'MARKET_DATA_FAILED');
      assert.equal(model.callsOf('askStrategist').length, 0);
      model.broken.delete('fetchMarketData');
      await suite.env.sleep(INTERVAL);
      await cycleDone(model, 2);
      s = await state(handle);
      assert.equal(s.trade?.id, tradeIdFor(symbol, 2));
      await handle.signal(stopSignal);
      await handle.result();
    });
  });

  test('duplicate order events are applied once, in one batch or in several signals', async () => {
    await withPlannedTrader(suite, 'LTCUSDT', {}, async ({ model, handle, tradeId }) => {
      const fill = model.fillEntry(tradeId, 0.4);
      // a hand-typed payload that is not an order event is dropped, the workflow carries on
      await handle.signal(orderEventSignal, [{ hello: 'world' } as any]);
      await handle.signal(orderEventSignal, [fill, fill]);
      await handle.signal(orderEventSignal, [fill]);
      const second = model.fillEntry(tradeId, 0.6);
      await handle.signal(orderEventSignal, [fill, second, second]);
      await model.until(() => model.callsOf('ensureProtection').some((i) => i.quantity === 1), 'the whole position protected');
      await handle.signal(orderEventSignal, [fill, second]);
      await handle.signal(stopSignal);
      const final = await handle.result();
      assert.deepEqual(final.trade?.entryFills.map((f) => f.quantity), [0.4, 0.6]);
      assert.deepEqual(model.callsOf('ensureProtection').map((i) => i.quantity), [0.4, 1]);
      assert.equal(model.journal().filter((r) => r.action === 'PENDING->ACTIVE').length, 1);
      assert.ok(final.seenEventIds.includes(fill.eventId) && final.seenEventIds.includes(second.eventId));
    });
  });

  test('a fill during the strategist call is protected at once; the command it made stale is not carried out', async () => {
    const symbol = 'TRXUSDT';
    const tradeId = tradeIdFor(symbol, 1);
    let handle!: Trader;
    let model!: ExchangeModel;
    const script: Script = async (i) => {
      if (i.sequence === 1) return planLong(symbol);
      // the entry fills while the strategist is still thinking about cancelling it; the strategist
      // only answers once the position is protected (it would wait forever if protection waited for it)
      await handle.signal(orderEventSignal, [model.fillEntry(tradeId)]);
      await model.until(() => model.callsOf('ensureProtection').length === 1, 'protection during the strategist call');
      return cancelTrade(tradeId);
    };
    const setup = (m: ExchangeModel) => (model = m);
    await withPlannedTrader(suite, symbol, { script, setup }, async (run) => {
      handle = run.handle; // cycle 1 needs no handle; the strategist of cycle 2 signals through it
      await suite.env.sleep(INTERVAL);
      await cycleDone(model, 2);
      const s = await state(handle);
      assert.equal(s.trade?.status, 'ACTIVE');
      assert.equal(s.lastDecision?.outcome, 'NOT_EXECUTED');
      assert.deepEqual(model.callsOf('executeAiCommand').map((i) => i.command.action), ['PLAN_TRADE']);
      await handle.signal(stopSignal);
      await handle.result();
    });
  });

  test('stop with cancelPending cancels the PENDING entry; stop leaves an ACTIVE position protected', async () => {
    const model = new ExchangeModel();
    model.script = (i) => (i.sequence === 1 ? planLong(i.symbol) : doNothing());
    await withWorker(suite.env, model.activities(), async (taskQueue) => {
      const pending = await suite.startTrader(taskQueue, 'AVAXUSDT');
      const active = await suite.startTrader(taskQueue, 'LINKUSDT');
      await model.until(() => model.hasRow((r) => r.kind === 'DECISION' && r.symbol === 'AVAXUSDT'), 'AVAX cycle 1');
      await model.until(() => model.hasRow((r) => r.kind === 'DECISION' && r.symbol === 'LINKUSDT'), 'LINK cycle 1');
      const linkTrade = tradeIdFor('LINKUSDT', 1);
      await active.signal(orderEventSignal, [model.fillEntry(linkTrade)]);
      await transition(model, 'PENDING->ACTIVE');

      await pending.signal(stopSignal, { cancelPending: true });
      const p = await pending.result();
      assert.equal(p.phase, 'STOPPED');
      assert.equal(p.trade?.status, 'CANCELLED');
      assert.deepEqual(model.callsOf('cancelPendingOrder').map((i) => i.trade.id), [tradeIdFor('AVAXUSDT', 1)]);

      await active.signal(stopSignal, { cancelPending: true });
      const a = await active.result();
      assert.equal(a.trade?.status, 'ACTIVE');
      assert.ok(a.trade?.orders.some((o) => o.role === 'OCO' && o.status === 'OPEN'), 'protection stays on the exchange');
      assert.equal(model.callsOf('cancelProtection').length, 0);
      assert.equal(model.callsOf('cancelPendingOrder').length, 1);
      assert.ok(model.hasRow((r) => r.symbol === 'LINKUSDT' && r.kind === 'CONTROL' && r.detail.includes('keeps its stop 95')));
      await recordHistory(pending, 'trader-stop-cancel-pending');
    });
  });

  test('stop during a step finishes that step and carries out nothing after it', async () => {
    const symbol = 'NEARUSDT';
    const model = new ExchangeModel();
    let handle!: Trader;
    model.script = async () => {
      await handle.signal(stopSignal, { cancelPending: true }); // arrives while the strategist thinks
      return planLong(symbol);
    };
    await withWorker(suite.env, model.activities(), async (taskQueue) => {
      handle = await suite.startTrader(taskQueue, symbol);
      const final = await handle.result();
      assert.equal(final.phase, 'STOPPED');
      assert.equal(final.lastDecision?.action, 'PLAN_TRADE');
      assert.equal(final.lastDecision?.outcome, 'NOT_EXECUTED');
      assert.equal(model.callsOf('executeAiCommand').length, 0, 'no order after stop');
      assert.equal(final.trade, null);
      assert.ok(model.hasRow((r) => r.kind === 'DECISION' && r.detail.includes('stop requested')), 'journaled');
    });
  });

  test('a start with a bad input fails at once with the reason', async () => {
    const model = new ExchangeModel();
    await withWorker(suite.env, model.activities(), async (taskQueue) => {
      const handle = await suite.env.client.workflow.start<typeof symbolTrader>('symbolTrader', {
        taskQueue,
        workflowId: traderWorkflowId('BADUSDT'),
        args: [{ symbol: 'BADUSDT', cycleIntervalMs: 0, mode: 'paper' }],
      });
      await assert.rejects(handle.result(), (err: any) => /cycleIntervalMs must be at least 100 ms, got 0/.test(err?.cause?.message ?? ''));
      assert.equal(model.calls.length, 0, 'nothing was called');
    });
  });

  test('an activity that fails for good is recorded, the workflow lives on and reconciles at the next cycle', async () => {
    await withPlannedTrader(suite, 'ATOMUSDT', {}, async ({ model, handle, tradeId }) => {
      model.broken.add('ensureProtection');
      await handle.signal(orderEventSignal, [model.fillEntry(tradeId)]);
      await model.until(() => model.hasRow((r) => r.kind === 'REJECTION' && r.action === 'ENSURE_PROTECTION'), 'failure journaled');
      let s = await state(handle);
      assert.equal(s.trade?.status, 'ACTIVE');
      assert.match(s.lastError ?? '', /ensureProtection is broken/);
      assert.equal(s.reconcileNeeded, true);
      assert.equal((await handle.describe()).status.name, 'RUNNING');

      model.broken.delete('ensureProtection');
      await suite.env.sleep(INTERVAL);
      await cycleDone(model, 2);
      const names = model.calls.map((c) => c.name);
      const cycle2 = names.lastIndexOf('fetchMarketData');
      // (continuous reconciliation may also run after cycle 2, on its own timer: the one before it counts)
      assert.equal(names.slice(0, cycle2).lastIndexOf('reconcileSymbol') > names.indexOf('ensureProtection'), true, 'reconciled before cycle 2');
      assert.equal(model.callsOf('reconcileSymbol').at(-1).trade.status, 'ACTIVE');
      s = await state(handle);
      assert.equal(s.reconcileNeeded, false);
      await handle.signal(stopSignal);
      await handle.result();
    });
  });

  test('stop without cancelPending leaves the PENDING entry alone and says so', async () => {
    await withPlannedTrader(suite, 'DOTUSDT', {}, async ({ model, handle }) => {
      await handle.signal(stopSignal);
      const final = await handle.result();
      assert.equal(final.trade?.status, 'PENDING');
      assert.equal(model.callsOf('cancelPendingOrder').length, 0);
      assert.ok(model.hasRow((r) => r.kind === 'CONTROL' && r.detail.includes('PENDING entry stays on the exchange')));
    });
  });
});
