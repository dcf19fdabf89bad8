import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stopSignal } from '../../src/contract/signals';
import { text } from '../support/fakeLlmServer';
import { realTraderBed, payloadBytes, type RealTraderBed } from '../support/realTraderBed';
import { withWorker } from '../support/temporalEnv';
import { INTERVAL, state, traderSuite } from '../support/traderHarness';

/**
 * Whatever the model sends, the real symbolTrader workflow's history stays small: a multi-megabyte
 * answer from the scripted LLM server goes through the real activities (simulator on real candles,
 * real openai client) and the workflow, and what Temporal stores is a few kilobytes per event.
 */

const suite = traderSuite();
/** far below Temporal's blob limits (512 KB warning, 2 MB error per payload) */
const SMALL = 64 * 1024;

describe('answer bounds through the real workflow', () => {
  let bed: RealTraderBed;
  before(async () => {
    bed = await realTraderBed();
  });
  after(async () => {
    await bed?.close();
  });

  test('a 4 MB answer, then a long but readable one: DO_NOTHING, then a capped command; every payload small', async () => {
    const huge = JSON.stringify({ command: { action: 'DO_NOTHING', reasoning: 'z'.repeat(4 * 1024 * 1024) } });
    const long = JSON.stringify({ command: { action: 'DO_NOTHING', reasoning: `${'because '.repeat(10_000)}end` } });
    assert.ok(long.length < 100_000 && long.length > 50_000);
    bed.llm.enqueue(text(huge), text(long));
    await withWorker(suite.env, bed.activities, async (taskQueue) => {
      const handle = await suite.startTrader(taskQueue, 'BTCUSDT');
      const first = await bed.untilRow((r) => r.kind === 'REJECTION' && r.sequence === 1, 'cycle 1 rejected');
      assert.match(first.detail, /^parse\/ANSWER_TOO_LONG: the answer is 41943\d\d characters long, over the limit of 100000/);
      let s = await state(handle);
      assert.equal(s.lastDecision?.action, 'DO_NOTHING');
      assert.equal(s.lastDecision?.accepted, false);

      await suite.env.sleep(INTERVAL);
      const second = await bed.untilRow((r) => r.kind === 'DECISION' && r.sequence === 2, 'cycle 2 decided');
      s = await state(handle);
      assert.equal(s.lastDecision?.accepted, true, 'the long answer is a valid command');
      const reasoning = s.lastDecision?.command.action === 'DO_NOTHING' ? s.lastDecision.command.reasoning : '';
      assert.match(reasoning, /^because because .*…\[cut: 79003 more characters\]$/);
      assert.equal(reasoning.length, 1_000 + '…[cut: 79003 more characters]'.length);
      assert.equal(second.detail, reasoning, 'the trade log gets the capped reasoning');
      assert.equal(bed.llm.requests.length, 2);

      await handle.signal(stopSignal);
      await handle.result();
      const events = (await handle.fetchHistory()).events ?? [];
      const sizes = events.map((e) => payloadBytes(e));
      const biggest = Math.max(...sizes);
      assert.ok(biggest < SMALL, `the biggest history event carries ${biggest} bytes of payloads`);
      const total = sizes.reduce((a, b) => a + b, 0);
      assert.ok(total < 512 * 1024, `the whole history carries ${total} bytes`);
    });
  });
});
