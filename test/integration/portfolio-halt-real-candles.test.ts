import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { releaseSlotUpdate, requestSlotUpdate } from '../../src/contract/portfolioApi';
import type { PortfolioView } from '../../src/contract/portfolioState';
import { PORTFOLIO_WORKFLOW_ID } from '../../src/contract/ids';
import { startTrader, startTraders } from '../../src/cli/traders';
import { tradeIdFor } from '../../src/domain/newTrade';
import { belongsTo } from '../../src/oms/clientIds';
import { readTradeLog } from '../../src/journal/tradeLog';
import { structured } from '../support/fakeLlmServer';
import { startHaltStack, type HaltStack } from '../support/haltStack';
import { eventually } from '../support/portfolioHarness';

/**
 * The kill switch on a real day: 19 May 2021, when BTC and ETH crashed, replayed candle by candle
 * through the exchange simulator, with the real worker activities (ccxt against the simulator, the
 * openai client against the scripted LLM server, the CSV trade log) and the real workflows on the
 * Temporal CLI dev server. A BTC position (half the account) loses 2% of the day's starting equity:
 * the portfolio HALTS, the PENDING ETH entry is cancelled on the exchange, the BTC position keeps its
 * OCO protection there, no slot is granted until the next UTC day, and at 20 May 00:00 it lifts.
 */

const DAY = Date.UTC(2021, 4, 19);
const NEXT_DAY = Date.UTC(2021, 4, 20);

let stack: HaltStack;

before(async () => {
  stack = await startHaltStack({ name: 'halt', symbols: ['BTCUSDT', 'ETHUSDT'], day: DAY });
});

after(async () => {
  await stack?.close();
});

const tick = (p: number) => Math.round(p * 100) / 100;

function plan(symbol: string, last: number, entryFactor: number, sizePercent: number) {
  const entry = tick(last * entryFactor);
  const stop = tick(entry * 0.68);
  return structured({
    action: 'PLAN_TRADE',
    trade_setup: { symbol, direction: 'LONG', entry_price: entry, stop_loss_price: stop, take_profit_prices: [tick(entry * 1.5)], position_size_percent: sizePercent },
    reasoning: 'test plan',
  });
}

test('19 May 2021: a real crash halts the portfolio; PENDING cancelled, the position stays protected, no entry until the next UTC day', async () => {
  const { client, config, ex, llm, sim, taskQueue, tradeLogPath, traderState, view } = stack;
  // BTC first (half the account, entry at the market: it fills), then ETH far below (stays PENDING)
  llm.enqueue(plan('BTCUSDT', (await ex.fetchTicker('BTC/USDT')).last!, 1.001, 50));
  await startTraders(client, { ...config, symbols: ['BTCUSDT'] }, ['BTCUSDT'], taskQueue);
  await eventually('BTC entry placed', () => traderState('BTCUSDT'), (s) => s.trade?.status === 'PENDING' || s.trade?.status === 'ACTIVE', 60_000);
  llm.enqueue(plan('ETHUSDT', (await ex.fetchTicker('ETH/USDT')).last!, 0.6, 20));
  await startTrader(client, config, 'ETHUSDT', taskQueue);
  await eventually('ETH entry placed', () => traderState('ETHUSDT'), (s) => s.trade?.status === 'PENDING', 60_000);
  const grants = Object.keys((await view()).grants).sort();
  assert.deepEqual(grants, [tradeIdFor('BTCUSDT', 1), tradeIdFor('ETHUSDT', 1)]);

  // replay the day, 30 minutes at a time, until the kill switch fires on a reading of that market time
  let halted: PortfolioView | undefined;
  while (!halted) {
    assert.ok(sim.now() < NEXT_DAY, 'the day ended without a halt');
    await sim.advance(2);
    const at = sim.now();
    const v = await eventually(`an equity reading at ${new Date(at).toISOString()}`, view, (x) => (x.book?.lastAt ?? 0) >= at - 1, 30_000);
    if (v.status === 'HALTED') halted = v;
  }
  assert.equal(halted.halt?.kind, 'DAILY_LOSS');
  assert.ok(halted.figures!.dayPnlPercent <= -2, `day PnL ${halted.figures!.dayPnlPercent}%`);

  const eth = await eventually('the ETH entry cancelled', () => traderState('ETHUSDT'), (s) => s.trade?.status === 'CANCELLED', 60_000);
  assert.match(eth.trade!.closeReason ?? '', /portfolio HALTED/);
  assert.deepEqual(await ex.fetchOpenOrders('ETH/USDT'), [], 'no ETH order rests on the exchange');
  const btc = await traderState('BTCUSDT');
  assert.equal(btc.trade?.status, 'ACTIVE');
  const lists = ((await (ex as any).privateGetOpenOrderList({})) as any[]).filter((l) => belongsTo(String(l.listClientOrderId), tradeIdFor('BTCUSDT', 1)));
  assert.ok(lists.length >= 1, 'the BTC position keeps its OCO (stop and target) on the exchange');
  const protectedQty = (await ex.fetchOpenOrders('BTC/USDT')).filter((o) => (o.info as any).type === 'STOP_LOSS' || (o.info as any).type === 'STOP_LOSS_LIMIT').reduce((s, o) => s + (o.amount ?? 0), 0);
  assert.ok(protectedQty > 0, 'a stop rests for the position');

  const portfolio = client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID);
  const refused = await portfolio.executeUpdate(requestSlotUpdate, { args: [{ tradeId: 'T-ETHUSDT-50', symbol: 'ETHUSDT', sequence: 50, notional: 100 }] });
  assert.equal(!refused.granted && refused.code, 'PORTFOLIO_HALTED', 'no new entry while halted');
  await eventually('the halt in the trade log', () => readTradeLog(tradeLogPath), (rows) => rows.some((r) => r.symbol === 'PORTFOLIO' && r.action === 'HALTED_DAILY_LOSS'), 30_000);

  // the rest of the day: still halted, whatever prices do; at the next UTC day it lifts
  while (sim.now() < NEXT_DAY) {
    await sim.advance(8);
    const at = sim.now();
    const v = await eventually('a reading', view, (x) => (x.book?.lastAt ?? 0) >= at - 1, 30_000);
    if (at < NEXT_DAY) assert.equal(v.status, 'HALTED', `halted at ${new Date(at).toISOString()}`);
  }
  const lifted = await eventually('the halt lifted on 20 May', view, (x) => x.status === 'ACTIVE', 30_000);
  assert.equal(lifted.book?.day, '2021-05-20');
  const granted = await portfolio.executeUpdate(requestSlotUpdate, { args: [{ tradeId: 'T-ETHUSDT-51', symbol: 'ETHUSDT', sequence: 51, notional: 100 }] });
  assert.equal(granted.granted, true);
  await portfolio.executeUpdate(releaseSlotUpdate, { args: [{ tradeId: 'T-ETHUSDT-51', reason: 'test' }] });
});
