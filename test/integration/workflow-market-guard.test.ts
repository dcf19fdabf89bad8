import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stopSignal } from '../../src/contract/signals';
import { structured } from '../support/fakeLlmServer';
import { realTraderBed, type RealTraderBed } from '../support/realTraderBed';
import { withWorker } from '../support/temporalEnv';
import { INTERVAL, state, traderSuite } from '../support/traderHarness';

/**
 * The real symbolTrader workflow over the real activities, the simulator replaying real BTCUSDT
 * candles and the scripted LLM: when the exchange's last price stops agreeing with its candles, the
 * cycle records why and does nothing; the LLM is not asked and nothing is placed.
 */

const suite = traderSuite();

describe('stale or inconsistent market data through the real workflow', () => {
  let bed: RealTraderBed;
  before(async () => {
    bed = await realTraderBed();
  });
  after(async () => {
    await bed?.close();
  });

  test('a last price 10% off the newest candle: INCONSISTENT_MARKET_DATA, no LLM call, no order; consistent again, it trades again', async () => {
    await withWorker(suite.env, bed.activities, async (taskQueue) => {
      bed.llm.enqueue(structured({ action: 'DO_NOTHING', reasoning: 'first look' }));
      const handle = await suite.startTrader(taskQueue, 'BTCUSDT');
      await bed.untilRow((r) => r.kind === 'DECISION' && r.sequence === 1, 'cycle 1');
      const s1 = await state(handle);
      const real = s1.lastPrice!.price;

      // the paper exchange's last price jumps away from its candles (as a stale saved price would)
      await bed.sim.setPrice('BTCUSDT', Math.round(real * 1.1 * 100) / 100);
      bed.llm.enqueue(structured({
        action: 'PLAN_TRADE',
        trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: Math.round(real * 1.09), stop_loss_price: Math.round(real * 1.07), take_profit_prices: [Math.round(real * 1.13)], position_size_percent: 5 },
        reasoning: 'chase',
      }));
      await suite.env.sleep(INTERVAL);
      const refused = await bed.untilRow((r) => r.kind === 'REJECTION' && r.sequence === 2, 'cycle 2 refused');
      assert.match(refused.detail, /^market\/INCONSISTENT_MARKET_DATA: BTCUSDT: the last price [0-9.]+ is 10\.\d\d% above the newest candle's close [0-9.]+ \(limit 3%\); no trade this cycle/);
      const s2 = await state(handle);
      assert.equal(s2.lastDecision?.action, 'DO_NOTHING');
      assert.equal(s2.trade, null);
      assert.equal(bed.llm.requests.length, 1, 'the LLM was not asked on data like this');

      // the price is back with the candles: the next cycle asks the LLM again
      await bed.sim.setPrice('BTCUSDT', real);
      bed.llm.reset();
      bed.llm.enqueue(structured({ action: 'DO_NOTHING', reasoning: 'back to normal' }));
      await suite.env.sleep(INTERVAL);
      const third = await bed.untilRow((r) => r.kind === 'DECISION' && r.sequence === 3, 'cycle 3');
      assert.equal(third.detail, 'back to normal');
      await handle.signal(stopSignal);
      await handle.result();
    });
  });
});
