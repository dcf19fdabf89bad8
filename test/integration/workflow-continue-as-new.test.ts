import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tradeIdFor } from '../../src/domain/newTrade';
import { orderEventSignal, stateQuery, stopSignal } from '../../src/contract/signals';
import { adjustTrade, doNothing, ExchangeModel, planLong } from '../support/temporalExchange';
import { withWorker } from '../support/temporalEnv';
import { recordHistory } from '../support/temporalHistories';
import { INTERVAL, traderSuite } from '../support/traderHarness';

const suite = traderSuite();

test('continue-as-new in the middle of a trade carries the state: no cycle skipped or run twice', async () => {
  const symbol = 'BTCUSDT';
  const tradeId = tradeIdFor(symbol, 1);
  const model = new ExchangeModel();
  model.script = (i) => (i.sequence === 1 ? planLong(symbol) : i.sequence === 4 ? adjustTrade(tradeId, 99) : doNothing());

  await withWorker(suite.env, model.activities(), async (taskQueue) => {
    const handle = await suite.startTrader(taskQueue, symbol, { maxCyclesPerRun: 2 });
    const firstRun = handle.firstExecutionRunId;
    const decided = (n: number) => model.until(() => model.strategistSequences().includes(n) && model.hasRow((r) => r.kind === 'DECISION' && r.sequence === n), `cycle ${n}`);
    const reconciled = (n: number) => model.until(() => model.callsOf('reconcileSymbol').length >= n, `run ${n} reconciled`);

    await decided(1);
    const fill = model.fillEntry(tradeId);
    await handle.signal(orderEventSignal, [fill]);
    await model.until(() => model.callsOf('ensureProtection').length === 1, 'protected');

    await suite.env.sleep(INTERVAL);
    await decided(2);
    // cycle 2 was the run's last: the next run starts by reconciling the ACTIVE trade it was handed
    await reconciled(2);
    const carried = await handle.query(stateQuery);
    assert.equal(carried.runs, 2);
    assert.equal(carried.trade?.status, 'ACTIVE');
    assert.equal(carried.sequence, 2);
    assert.equal(model.callsOf('reconcileSymbol')[1].trade.id, tradeId);
    const run2 = (await handle.describe()).runId;
    assert.notEqual(run2, firstRun);
    assert.equal((await suite.env.client.workflow.getHandle(handle.workflowId, firstRun).describe()).status.name, 'CONTINUED_AS_NEW');

    // the fill arrives again (monitor re-sent it): the seen ids came along, nothing is applied twice
    await handle.signal(orderEventSignal, [fill]);

    // the new run waits for the due time it was handed: nothing happens before the interval is up
    assert.deepEqual(model.strategistSequences(), [1, 2]);
    await suite.env.sleep(INTERVAL);
    await decided(3);
    await suite.env.sleep(INTERVAL);
    await decided(4);
    await reconciled(3);
    await suite.env.sleep(INTERVAL);
    await decided(5);

    assert.deepEqual(model.strategistSequences(), [1, 2, 3, 4, 5]);
    assert.deepEqual(model.callsOf('fetchMarketData').length, 5);
    assert.equal(model.callsOf('ensureProtection').length, 1, 'the re-sent fill was ignored');
    const s = await handle.query(stateQuery);
    assert.equal(s.runs, 3);
    assert.equal(s.trade?.stopLossPrice, 99, 'the adjustment of cycle 4 (second run) applies to the carried trade');
    assert.equal(s.trade?.entryFills.length, 1);
    assert.ok(s.seenEventIds.includes(fill.eventId));

    // the cadence stayed on its grid across both continue-as-new boundaries
    const cycleTimes = model
      .journal()
      .filter((r) => r.kind === 'DECISION')
      .map((r) => r.at);
    assert.equal(cycleTimes.length, 5);
    for (let i = 1; i < cycleTimes.length; i++) {
      const gap = cycleTimes[i]! - cycleTimes[i - 1]!;
      assert.ok(gap > INTERVAL - 5_000 && gap < INTERVAL + 5_000, `cycle ${i + 1} came ${gap} ms after cycle ${i}`);
    }
    // trade log row ids continue across runs (journal numbering is part of the carried state)
    const ids = model.journal().map((r) => Number(r.id.split(':').at(-1)));
    assert.deepEqual(ids, ids.map((_, i) => i));

    await handle.signal(stopSignal);
    const final = await handle.result();
    assert.equal(final.phase, 'STOPPED');
    await recordHistory(handle, 'trader-after-continue-as-new');
  });
});
