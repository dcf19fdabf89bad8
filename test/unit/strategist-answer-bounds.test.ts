import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capReasoning, capText } from '../../src/domain/answerBounds';
import { parseAnswer } from '../../src/strategist/parseAnswer';

const plan = (setup: string) => `{"action":"PLAN_TRADE","trade_setup":${setup},"reasoning":"dip"}`;
const SETUP = '{"symbol":"BTCUSDT","direction":"LONG","entry_price":65000,"stop_loss_price":63500,"take_profit_prices":[67500],"position_size_percent":5}';

describe('answers: duplicated keys are ambiguous', () => {
  it('a key repeated at the top level is refused, whichever value comes last', () => {
    const r = parseAnswer('{"action":"DO_NOTHING","reasoning":"wait","action":"PLAN_TRADE"}');
    assert.deepEqual(r.ok ? null : [r.code, r.reason], ['DUPLICATE_KEY', 'the key action appears twice in the same object; the answer is ambiguous, so it is not read']);
  });
  it('a nested duplicate (the entry price twice in trade_setup) is found and named by its path', () => {
    const twice = SETUP.replace('"entry_price":65000', '"entry_price":65000,"entry_price":6500');
    const r = parseAnswer(plan(twice));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'DUPLICATE_KEY');
    assert.match(!r.ok ? r.reason : '', /the key trade_setup\.entry_price appears twice/);
    // inside the structured-output wrapper, in a fenced block, and in prose around the JSON
    for (const text of [`{"command":${plan(twice)}}`, '```json\n' + plan(twice) + '\n```', `Here it is: ${plan(twice)} good luck`]) {
      const v = parseAnswer(text);
      assert.equal(!v.ok && v.code, 'DUPLICATE_KEY', text);
    }
    // deeper: an object inside an array
    const deep = parseAnswer('{"action":"DO_NOTHING","reasoning":"x","notes":[{"a":1},{"b":1,"b":2}]}');
    assert.match(!deep.ok ? deep.reason : '', /the key notes\[1\]\.b appears twice/);
  });
  it('the same key in different objects is not a duplicate; an escaped spelling of the same key is', () => {
    assert.equal(parseAnswer('{"command":{"action":"DO_NOTHING","reasoning":"a"},"meta":{"reasoning":"b"}}').ok, true);
    const escaped = parseAnswer('{"action":"DO_NOTHING","reasoning":"a","reason\\u0069ng":"b"}');
    assert.equal(!escaped.ok && escaped.code, 'DUPLICATE_KEY');
    assert.equal(parseAnswer(plan(SETUP)).ok, true);
  });
});

describe('answers: bounded', () => {
  it('an answer over max_answer_chars is refused unread, saying how long it was', () => {
    const huge = `{"action":"DO_NOTHING","reasoning":"${'x'.repeat(200_000)}"}`;
    const r = parseAnswer(huge);
    assert.equal(!r.ok && r.code, 'ANSWER_TOO_LONG');
    assert.match(!r.ok ? r.reason : '', /the answer is 200038 characters long, over the limit of 100000 \(strategist\.max_answer_chars\)/);
    assert.equal(parseAnswer(huge, { maxAnswerChars: 300_000 }).ok, true);
  });
  it('reasoning is cut at the configured length with a marker saying how much was cut', () => {
    assert.equal(capText('short', 10), 'short');
    assert.equal(capText('abcdefghij-rest', 10), 'abcdefghij…[cut: 5 more characters]');
    const cmd = { action: 'DO_NOTHING' as const, reasoning: 'y'.repeat(5_000) };
    const capped = capReasoning(cmd, 1_000);
    assert.equal(capped.reasoning, `${'y'.repeat(1_000)}…[cut: 4000 more characters]`);
    assert.equal(cmd.reasoning.length, 5_000, 'the input is not changed');
    const noReason = { action: 'PLAN_TRADE' as const, trade_setup: JSON.parse(SETUP), reasoning: null };
    assert.equal(capReasoning(noReason, 10), noReason);
  });
});
