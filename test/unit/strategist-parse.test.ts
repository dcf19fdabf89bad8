import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAnswer, parseCompletion } from '../../src/strategist/parseAnswer';

const DO_NOTHING = { action: 'DO_NOTHING', reasoning: 'no edge' };
const CANCEL = { action: 'CANCEL_ORDER', order_id: 'T-BTCUSDT-000001', reasoning: 'stale' };
const json = JSON.stringify;

describe('parseAnswer accepts what models send', () => {
  const accepted: Array<[string, string]> = [
    ['bare JSON', json(CANCEL)],
    ['bare JSON with surrounding whitespace', `\n  ${json(CANCEL)}  \n`],
    ['pretty-printed JSON', json(CANCEL, null, 2)],
    ['structured-output wrapper', json({ command: CANCEL })],
    ['wrapper with an extra analysis field', json({ analysis: 'trend flipped', command: CANCEL })],
    ['fenced json block', '```json\n' + json(CANCEL) + '\n```'],
    ['fenced block without a language', '```\n' + json(CANCEL) + '\n```'],
    ['prose then a fenced block', 'The entry is stale.\n\n```json\n' + json({ command: CANCEL }) + '\n```\nThat is all.'],
    ['prose around a bare object', `I will cancel: ${json(CANCEL)} because the trend flipped.`],
    ['object then prose', `${json(CANCEL)}\nHope this helps!`],
    ['braces inside strings', json({ ...CANCEL, reasoning: 'range {47000-48000} broke; "quotes" too' })],
  ];
  for (const [name, text] of accepted) {
    it(name, () => {
      const result = parseAnswer(text);
      assert.ok(result.ok, !result.ok ? `${result.code}: ${result.reason}` : '');
      assert.equal(result.command.action, 'CANCEL_ORDER');
      assert.equal(result.command.action === 'CANCEL_ORDER' && result.command.order_id, 'T-BTCUSDT-000001');
    });
  }

  it('unknown extra fields are dropped, not passed on', () => {
    const result = parseAnswer(json({ ...DO_NOTHING, position_size_percent: 100, leverage: 20 }));
    assert.ok(result.ok);
    assert.deepEqual(result.command, DO_NOTHING);
  });

  it('a structured-output null for optional fields is accepted', () => {
    const result = parseAnswer(
      json({ command: { action: 'ADJUST_TRADE', order_id: 'T-X', new_stop_loss_price: 100, new_take_profit_prices: null, reasoning: 'r' } }),
    );
    assert.ok(result.ok);
  });
});

describe('parseCompletion uses what the API says besides the text', () => {
  it('refusal field -> REFUSAL, even with content', () => {
    assert.deepEqual(parseCompletion(json(DO_NOTHING), { refusal: 'I cannot do that' }), {
      ok: false,
      code: 'REFUSAL',
      reason: 'the model refused: I cannot do that',
    });
  });
  it('finish_reason length -> TRUNCATED, even when the cut text happens to parse', () => {
    const r = parseCompletion(json(DO_NOTHING), { finishReason: 'length' });
    assert.equal(!r.ok && r.code, 'TRUNCATED');
  });
  it('finish_reason content_filter -> REFUSAL', () => {
    const r = parseCompletion('', { finishReason: 'content_filter' });
    assert.equal(!r.ok && r.code, 'REFUSAL');
  });
  it('null content -> EMPTY_ANSWER', () => {
    const r = parseCompletion(null, { finishReason: 'stop' });
    assert.equal(!r.ok && r.code, 'EMPTY_ANSWER');
  });
  it('schema errors name every broken field', () => {
    const r = parseAnswer(json({ action: 'PLAN_TRADE', trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: 'x' } }));
    assert.ok(!r.ok);
    assert.equal(r.code, 'SCHEMA_INVALID');
    for (const field of ['trade_setup.entry_price', 'trade_setup.stop_loss_price', 'trade_setup.take_profit_prices', 'trade_setup.position_size_percent']) {
      assert.ok(r.reason.includes(field), `${field} in ${r.reason}`);
    }
  });
});
