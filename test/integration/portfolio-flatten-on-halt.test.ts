import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { omsSteps } from '../../src/activities/omsSteps';
import { startTraders } from '../../src/cli/traders';
import { tradeIdFor } from '../../src/domain/newTrade';
import { flattenClientId, otocoListClientId } from '../../src/oms/clientIds';
import { CONSOLE_OMS_LOGGER } from '../../src/oms';
import { readTradeLog } from '../../src/journal/tradeLog';
import { structured } from '../support/fakeLlmServer';
import { startHaltStack, type HaltStack } from '../support/haltStack';
import { eventually } from '../support/portfolioHarness';
import { recordHistory } from '../support/temporalHistories';

/**
 * flatten_on_halt on the Temporal CLI dev server with the real workflows and the real worker
 * activities (ccxt against the simulator on real 19 May 2021 candles, the scripted LLM server, the
 * CSV trade log): a BTC position (half the account) falls 10%, the portfolio HALTS on the daily
 * loss, and the position is closed at market: its OCO cancelled, one market SELL of the held
 * quantity, every order in the trade log, the trade CLOSED with the halt as its reason, the slot
 * back. The flatten step run again (a retry after a crash) adopts the market order, never sells twice.
 */

const DAY = Date.UTC(2021, 4, 19);

let stack: HaltStack;

before(async () => {
  stack = await startHaltStack({ name: 'flatten', symbols: ['BTCUSDT'], day: DAY, flattenOnHalt: true });
});

after(async () => {
  await stack?.close();
});

const tick = (p: number) => Math.round(p * 100) / 100;

test('flatten_on_halt: on a daily-loss HALT the ACTIVE position is closed at market once, every order journaled, the trade CLOSED with the reason', async () => {
  const { client, config, deps, ex, llm, sim, taskQueue, tradeLogPath, traderState, view } = stack;
  const last = (await ex.fetchTicker('BTC/USDT')).last!;
  const entry = tick(last * 1.001);
  llm.enqueue(
    structured({
      action: 'PLAN_TRADE',
      trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: entry, stop_loss_price: tick(entry * 0.68), take_profit_prices: [tick(entry * 1.5)], position_size_percent: 50 },
      reasoning: 'test plan',
    }),
  );
  await startTraders(client, config, ['BTCUSDT'], taskQueue);
  const tradeId = tradeIdFor('BTCUSDT', 1);
  await eventually('BTC entry placed', () => traderState('BTCUSDT'), (s) => s.trade?.status === 'PENDING' || s.trade?.status === 'ACTIVE', 60_000);
  if ((await traderState('BTCUSDT')).trade?.status !== 'ACTIVE') await sim.advance(1);
  const active = await eventually('BTC ACTIVE and protected', () => traderState('BTCUSDT'), (s) => s.trade?.status === 'ACTIVE' && s.trade.orders.some((o) => o.role === 'OCO' && o.status === 'OPEN'), 60_000);
  const held = active.trade!.entryFills.reduce((s, f) => s + f.quantity, 0);
  assert.ok((await ex.fetchOpenOrders('BTC/USDT')).length > 0, 'the OCO rests before the halt');

  // the market falls 10%: half the account in BTC is -5% of equity, past the 2% daily loss limit
  await sim.setPrice('BTCUSDT', tick(last * 0.9));
  const halted = await eventually('the HALT', view, (v) => v.status === 'HALTED', 60_000);
  assert.equal(halted.halt?.kind, 'DAILY_LOSS');

  const closed = await eventually('the position flattened (CLOSED)', () => traderState('BTCUSDT'), (s) => s.trade?.status === 'CLOSED', 60_000);
  const trade = closed.trade!;
  assert.match(trade.closeReason ?? '', /flattened at market on a portfolio HALT \(flatten_on_halt\): portfolio HALTED \(DAILY_LOSS\)/);
  assert.equal(trade.exitFills.length > 0 && trade.exitFills.every((f) => f.reason === 'MANUAL'), true, 'closed by the market order, not by its stop or target');
  assert.ok(Math.abs(trade.exitFills.reduce((s, f) => s + f.quantity, 0) - held) < 1e-9, 'the whole held quantity sold');
  assert.ok(trade.realizedPnl! < 0, `a loss was taken: ${trade.realizedPnl}`);

  // the exchange: nothing rests, one market SELL (the flatten's own client id), the BTC gone
  assert.deepEqual(await ex.fetchOpenOrders('BTC/USDT'), [], 'no protection left resting for coins that are gone');
  const all = await ex.fetchOrders('BTC/USDT');
  const markets = all.filter((o) => (o.info as any).type === 'MARKET');
  assert.deepEqual(markets.map((o) => o.clientOrderId), [flattenClientId(tradeId)], 'exactly one market order');
  assert.equal(markets[0]!.side, 'sell');
  assert.ok(((await ex.fetchBalance()).BTC?.total ?? 0) < 0.00001, 'no BTC left but dust');

  // the trade log: the decision to flatten, every order (the cancelled OCO, the market order), the close
  const rows = await eventually('the flatten in the trade log', () => readTradeLog(tradeLogPath), (r) => r.some((x) => x.action === 'FLATTEN_ON_HALT' && x.kind === 'ORDER') && r.some((x) => x.status === 'CLOSED'), 30_000);
  const orderRows = rows.filter((r) => r.kind === 'ORDER' && r.symbol === 'BTCUSDT').map((r) => r.detail);
  assert.ok(orderRows.some((d) => d.includes(`cancelled protection ${otocoListClientId(tradeId)} to flatten`)), `the cancelled OCO is journaled: ${orderRows.join(' | ')}`);
  assert.ok(orderRows.some((d) => d.includes(`market SELL`) && d.includes(flattenClientId(tradeId))), 'the market order is journaled');
  await eventually('the slot back', view, (v) => !(tradeId in v.grants), 30_000);
  // the flatten's commands, replayed by replay-histories.test.ts (RECORD_HISTORIES=1 re-records it)
  await recordHistory(client.workflow.getHandle('trader-BTCUSDT'), 'trader-flatten-on-halt');

  // a retry of the flatten step (as after a crash once the market order went out): adopted, not sold again
  // (the activity's own OMS step, outside a worker: the heartbeat shell needs an activity context)
  const again = await omsSteps({ gateway: deps.gateway, risk: deps.risk, scrub: (t: string) => t, log: CONSOLE_OMS_LOGGER }).flattenPosition({ trade: active.trade!, reason: 'retry' });
  assert.equal(again.trade?.status, 'CLOSED', 'the retry reads the same fills and closes the same trade');
  assert.equal((await ex.fetchOrders('BTC/USDT')).filter((o) => (o.info as any).type === 'MARKET').length, 1, 'still exactly one market order');
});
