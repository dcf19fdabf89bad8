import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dataDir } from '../../src/config/dataDir';
import { Duration, TradingConfig } from '../../src/config/schema';

/** The README's table of limits says the truth: every limit key is there, with the default the schema applies. */
describe('README: the risk envelope table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| `([a-z_.]+)` \| ([^|]+) \|/gm)].map((m) => ({ key: m[1]!, shown: m[2]!.trim() }));
  const defaults = TradingConfig.parse({ symbols: ['BTCUSDT'] }) as unknown as Record<string, Record<string, unknown>>;
  const valueAt = (key: string): unknown => key.split('.').reduce<any>((o, k) => o?.[k], defaults);
  // a file left to the data folder is shown in the data folder's default place, data/
  const shownPath = (value: string) => (value.startsWith(`${dataDir()}/`) ? `data/${value.slice(dataDir().length + 1)}` : value);

  it('lists every risk, market_data and strategist budget/answer limit', () => {
    const documented = new Set(rows.map((r) => r.key));
    const limits = [
      ...Object.keys(defaults.risk!).map((k) => `risk.${k}`),
      ...Object.keys(defaults.market_data!).map((k) => `market_data.${k}`),
      ...Object.keys((defaults.strategist as any).budget).map((k) => `strategist.budget.${k}`),
      'strategist.max_reasoning_chars',
      'strategist.max_answer_chars',
      // the one price table the daily money budget is priced by
      'llm_models',
    ];
    for (const key of limits) assert.ok(documented.has(key), `${key} is not in the README's table`);
  });

  it('with the default the schema applies', () => {
    for (const { key, shown } of rows) {
      const value = valueAt(key);
      // durations are shown as the config writes them (1m, 4h) and parsed to ms by the schema
      if (typeof value === 'number') assert.equal(/^\d+(ms|s|m|h|d)$/.test(shown) ? Duration.parse(shown) : Number(shown), value, key);
      else if (typeof value === 'string') assert.equal(shown, `\`${shownPath(value)}\``, key);
    }
    assert.ok(rows.length >= 18, `${rows.length} rows`);
  });

  it('shows the price table as the schema fills it, and no removed key', () => {
    const row = rows.find((r) => r.key === 'llm_models')!;
    for (const [model, price] of Object.entries(defaults.llm_models as Record<string, Record<string, number>>)) {
      assert.ok(row.shown.includes(model), `llm_models row names ${model}`);
      for (const [field, value] of Object.entries(price)) assert.ok(row.shown.includes(`${field}: ${value}`), `llm_models row shows ${field}: ${value}`);
    }
    assert.ok(!rows.some((r) => r.key === 'strategist.budget.prices'), 'strategist.budget.prices was removed');
  });
});
