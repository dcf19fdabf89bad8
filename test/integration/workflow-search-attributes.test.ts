import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { tradeIdFor } from '../../src/domain/newTrade';
import { traderWorkflowId } from '../../src/contract/ids';
import { orderEventSignal, stopSignal } from '../../src/contract/signals';
import type { symbolTrader } from '../../src/workflows/symbolTrader';
import { doNothing, ExchangeModel, planLong } from '../support/temporalExchange';
import { devServerEnv, withWorker } from '../support/temporalEnv';

/**
 * On the Temporal CLI dev server (the one `npm start` runs, with the Web UI), a trader filters by
 * the search attributes its workflow upserts: `Symbol = "BTCUSDT" AND TradeStatus = "ACTIVE"`.
 */

let env: TestWorkflowEnvironment;
before(async () => {
  env = await devServerEnv();
});
after(async () => {
  await env?.teardown();
});

/**
 * Visibility is updated asynchronously by the server; there is no event to wait for, so the
 * query is repeated until it answers as expected or the deadline passes.
 */
async function listIds(query: string, expected: string[], deadlineMs = 15_000): Promise<string[]> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ids: string[] = [];
    for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
    ids.sort();
    if (JSON.stringify(ids) === JSON.stringify(expected) || Date.now() > until) return ids;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('Symbol, TradeStatus and TradingMode are searchable as the trade moves', async () => {
  const model = new ExchangeModel();
  model.script = (i) => (i.sequence === 1 && i.symbol === 'BTCUSDT' ? planLong('BTCUSDT') : doNothing());
  await withWorker(env, model.activities(), async (taskQueue) => {
    const start = (symbol: string) =>
      env.client.workflow.start<typeof symbolTrader>('symbolTrader', {
        taskQueue,
        workflowId: traderWorkflowId(symbol),
        args: [{ symbol, cycleIntervalMs: 15 * 60_000, mode: 'paper' }],
      });
    const btc = await start('BTCUSDT');
    const eth = await start('ETHUSDT');
    await model.until(() => model.hasRow((r) => r.kind === 'DECISION' && r.symbol === 'BTCUSDT'), 'BTC cycle 1');
    await model.until(() => model.hasRow((r) => r.kind === 'DECISION' && r.symbol === 'ETHUSDT'), 'ETH cycle 1');

    assert.deepEqual(await listIds('TradeStatus = "PENDING"', ['trader-BTCUSDT']), ['trader-BTCUSDT']);
    assert.deepEqual(await listIds('TradeStatus = "NONE"', ['trader-ETHUSDT']), ['trader-ETHUSDT']);

    await btc.signal(orderEventSignal, [model.fillEntry(tradeIdFor('BTCUSDT', 1))]);
    await model.until(() => model.hasRow((r) => r.action === 'PENDING->ACTIVE'), 'BTC active');
    const active = 'Symbol = "BTCUSDT" AND TradeStatus = "ACTIVE" AND TradingMode = "paper"';
    assert.deepEqual(await listIds(active, ['trader-BTCUSDT']), ['trader-BTCUSDT']);
    assert.deepEqual(await listIds('TradingMode = "paper"', ['trader-BTCUSDT', 'trader-ETHUSDT']), ['trader-BTCUSDT', 'trader-ETHUSDT']);

    await btc.signal(stopSignal);
    await eth.signal(stopSignal);
    await Promise.all([btc.result(), eth.result()]);
  });
});
