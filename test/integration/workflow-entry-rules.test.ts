import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cancelOrderSignal, orderEventSignal, stopSignal } from '../../src/contract/signals';
import { nextUtcDayStart, utcDay } from '../../src/domain/envelope/utcDay';
import { tradeIdFor } from '../../src/domain/newTrade';
import { doNothing, ExchangeModel, planLong } from '../support/temporalExchange';
import { withWorker } from '../support/temporalEnv';
import { recordHistory } from '../support/temporalHistories';
import { envelopeInput } from '../support/portfolioHarness';
import { cycleDone, INTERVAL, state, traderSuite, transition } from '../support/traderHarness';

/**
 * A symbol's own brakes on a real (time-skipping) Temporal server, whatever the strategist says:
 * a cooldown after a stop-out, a cap on new trades per UTC day, and entry expiry. The strategist
 * here always wants a trade; the engine decides.
 */

const suite = traderSuite();
const SYMBOL = 'BTCUSDT';

function refusals(model: ExchangeModel, code: string): number[] {
  return model.journal().filter((r) => r.kind === 'REJECTION' && r.action === code).map((r) => r.sequence!);
}

test('cooldown: after a stop-out no new entry for cooldown_cycles cycles, then trading goes on', async () => {
  const model = new ExchangeModel();
  model.script = (i) => (i.trade ? doNothing() : planLong(SYMBOL));
  await withWorker(suite.env, model.activities(), async (taskQueue) => {
    const handle = await suite.startTrader(taskQueue, SYMBOL, { envelope: envelopeInput({ cooldownCycles: 2 }) });
    await cycleDone(model, 1);
    const first = tradeIdFor(SYMBOL, 1);
    await handle.signal(orderEventSignal, [model.fillEntry(first)]);
    await transition(model, 'PENDING->ACTIVE');
    await handle.signal(orderEventSignal, model.hitStop(first));
    await transition(model, 'ACTIVE->CLOSED');

    for (const cycle of [2, 3, 4]) {
      await suite.env.sleep(INTERVAL);
      await cycleDone(model, cycle);
    }
    assert.deepEqual(refusals(model, 'COOLDOWN'), [2, 3], 'cycles 2 and 3 refused with the code');
    assert.match(model.journal().find((r) => r.action === 'COOLDOWN')!.detail, /^COOLDOWN: cooling down after a stop-out: no new entry for 2 more cycle/);
    assert.deepEqual(model.callsOf('executeAiCommand').map((c) => c.sequence), [1, 4], 'nothing reached the OMS while cooling down');
    const s = await state(handle);
    assert.equal(s.lastDecision?.outcome, 'EXECUTED');
    assert.equal(s.envelope?.book.cooldownUntilSequence, 3);
    await handle.signal(stopSignal);
    await handle.result();
    await recordHistory(handle, 'trader-envelope-cooldown');
  });
});

test('at most max_trades_per_symbol_per_day new trades per UTC day; the next day starts again', async () => {
  const symbol = 'ETHUSDT';
  const model = new ExchangeModel();
  model.script = (i) => (i.trade ? doNothing() : planLong(symbol));
  // the skipped clock moves to just after a UTC midnight first, so the first three cycles share a day
  const now = await suite.env.currentTimeMs();
  const midnight = nextUtcDayStart(now);
  await suite.env.sleep(midnight + 60_000 - now);
  await withWorker(suite.env, model.activities(), async (taskQueue) => {
    const handle = await suite.startTrader(taskQueue, symbol, { envelope: envelopeInput({ maxTradesPerDay: 2 }) });
    for (const cycle of [1, 2]) {
      if (cycle > 1) await suite.env.sleep(INTERVAL);
      await cycleDone(model, cycle);
      await handle.signal(cancelOrderSignal, { reason: 'test' });
      await model.until(() => model.journal().filter((r) => r.action === 'PENDING->CANCELLED').length === cycle, `trade ${cycle} cancelled`);
    }
    await suite.env.sleep(INTERVAL);
    await cycleDone(model, 3);
    assert.deepEqual(refusals(model, 'MAX_TRADES_PER_DAY'), [3]);
    assert.match(model.journal().find((r) => r.action === 'MAX_TRADES_PER_DAY')!.detail, /^MAX_TRADES_PER_DAY: 2 new trade\(s\) today \(UTC \d{4}-\d\d-\d\d\), max_trades_per_symbol_per_day is 2/);
    assert.equal(model.callsOf('executeAiCommand').length, 2);

    // the next UTC day: a new trade is allowed again
    await suite.env.sleep(nextUtcDayStart(midnight) - (await suite.env.currentTimeMs()) + 60_000);
    await model.until(() => model.callsOf('executeAiCommand').length === 3, `a new trade on the next UTC day; refusals at ${refusals(model, 'MAX_TRADES_PER_DAY')}`);
    assert.equal(utcDay(model.callsOf('executeAiCommand')[2].now), utcDay(nextUtcDayStart(midnight)));
    await handle.signal(stopSignal);
    await handle.result();
  });
});

/** between two cycles: the engine wakes for it, it does not wait for the next cycle */
const TIMEOUT = 20 * 60_000;

test('entry expiry: a PENDING entry not filled after entry_timeout is cancelled by the engine, whatever the strategist says', async () => {
  const model = new ExchangeModel();
  // the strategist never cancels: it keeps the entry forever
  const symbol = 'SOLUSDT';
  model.script = (i) => (i.sequence === 1 ? planLong(symbol) : doNothing('keep waiting for the entry'));
  await withWorker(suite.env, model.activities(), async (taskQueue) => {
    const handle = await suite.startTrader(taskQueue, symbol, { envelope: envelopeInput({ entryTimeoutMs: TIMEOUT }) });
    await cycleDone(model, 1);
    await suite.env.sleep(INTERVAL);
    await cycleDone(model, 2);
    assert.equal(model.callsOf('cancelPendingOrder').length, 0, 'not yet: 15 minutes old');
    // at 20 minutes exactly, before cycle 3, the engine cancels it
    await suite.env.sleep(INTERVAL);
    await cycleDone(model, 3);
    const cancels = model.callsOf('cancelPendingOrder');
    assert.equal(cancels.length, 1);
    assert.match(cancels[0].reason, /^entry expired: PENDING for 20 min, entry_timeout is 20 min/);
    const expired = model.journal().find((r) => r.action === 'ENTRY_EXPIRED');
    assert.equal(expired?.sequence, 2, 'cancelled when it expired, between cycles 2 and 3');
    // when: the reason above is computed on the workflow's clock (20 min exactly); the row's time is the
    // market clock (issue 9: rows carry the exchange's or the market's time), i.e. cycle 2's market time
    const s = await state(handle);
    assert.equal(s.trade?.status, 'CANCELLED');
    assert.equal(model.callsOf('askStrategist').at(-1).trade, null, 'the strategist of cycle 3 saw the entry gone');
    await handle.signal(stopSignal);
    await handle.result();
    await recordHistory(handle, 'trader-envelope-entry-expired');
  });
});
