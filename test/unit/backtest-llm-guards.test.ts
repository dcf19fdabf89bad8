import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allLimited, cutoffWarnings, inFlightLimit } from '../../src/backtest/llm/index';
import { parseConfig } from '../../src/config/load';

const FROM = Date.UTC(2021, 0, 1);
const TO = Date.UTC(2021, 5, 30);

describe('training-cutoff warning', () => {
  it('warns loudly when the window is before the model cutoff, and says what --mask changes', () => {
    const [w] = cutoffWarnings({ model: 'gpt-4o-mini', from: FROM, to: TO, masked: false, prices: { training_cutoff: '2023-10-01' } });
    assert.match(w!, /^LOOK-AHEAD RISK: the window 2021-01-01 to 2021-06-30 is before gpt-4o-mini's training cutoff 2023-10-01; the whole window/);
    assert.match(w!, /--mask/);
    const [m] = cutoffWarnings({ model: 'gpt-4o-mini', from: FROM, to: TO, masked: true, prices: { training_cutoff: '2023-10-01' } });
    assert.match(m!, /prompts are masked/);
    // a window straddling the cutoff: the part before it
    const [s] = cutoffWarnings({ model: 'm', from: FROM, to: TO, masked: false, prices: { training_cutoff: '2021-03-01' } });
    assert.match(s!, /the part before 2021-03-01/);
  });

  it('is quiet for a window after the cutoff, and says when no cutoff is configured', () => {
    assert.deepEqual(cutoffWarnings({ model: 'm', from: FROM, to: TO, masked: false, prices: { training_cutoff: '2020-12-31' } }), []);
    const [n] = cutoffWarnings({ model: 'local-llama', from: FROM, to: TO, masked: false });
    assert.match(n!, /no training cutoff configured for local-llama \(llm_models\.local-llama\.training_cutoff\)/);
  });
});

describe('llm_models config section', () => {
  const base = 'symbols: [BTCUSDT]\n';
  it('takes prices and a cutoff per model', () => {
    const config = parseConfig(`${base}llm_models:\n  gpt-4o-mini: { input_usd_per_million_tokens: 0.15, output_usd_per_million_tokens: 0.6, training_cutoff: 2023-10-01 }\n`);
    assert.deepEqual(config.llm_models, { 'gpt-4o-mini': { input_usd_per_million_tokens: 0.15, output_usd_per_million_tokens: 0.6, training_cutoff: '2023-10-01' } });
    assert.deepEqual(parseConfig(base).llm_models, { 'gpt-4o-mini': { input_usd_per_million_tokens: 0.15, output_usd_per_million_tokens: 0.6 } }, 'the default price table');
  });
  it('names the field of a bad value', () => {
    assert.throws(() => parseConfig(`${base}llm_models:\n  m: { training_cutoff: 2023-02-30 }\n`), /llm_models\.m\.training_cutoff: is not a calendar date/);
    assert.throws(() => parseConfig(`${base}llm_models:\n  m: { input_usd_per_million_tokens: -1 }\n`), /llm_models\.m\.input_usd_per_million_tokens/);
    assert.throws(() => parseConfig(`${base}llm_models:\n  m: { price: 1 }\n`), /llm_models\.m/);
  });
});

describe('in-flight bound', () => {
  it('runs at most N tasks at once and keeps the results in order', async () => {
    const limit = inFlightLimit(2);
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    const started: number[] = [];
    const tasks = [0, 1, 2, 3, 4].map((i) => async () => {
      running++;
      peak = Math.max(peak, running);
      started.push(i);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      return i * 10;
    });
    const all = allLimited(limit, tasks);
    // let the first two start, then release one at a time; each release lets exactly one more in
    await Promise.resolve();
    for (let released = 0; released < 5; released++) {
      while (gates.length === released) await new Promise<void>((r) => setImmediate(r));
      assert.ok(running <= 2);
      gates[released]!();
    }
    assert.deepEqual(await all, [0, 10, 20, 30, 40]);
    assert.equal(peak, 2);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.throws(() => inFlightLimit(0), /at least 1/);
  });
});
