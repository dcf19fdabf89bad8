import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, parseConfig } from '../../src/config/load';
import { FeedWatch } from '../../src/marketdata/feedWatch';
import { createStrategist } from '../../src/strategist/createStrategist';
import { BudgetedStrategist } from '../../src/strategist/budgetedStrategist';

/**
 * The data folder setting moves every file the engine keeps: the feed watch and the LLM's spend of
 * the day, when the config leaves their paths out, live in DE_DATA_DIR (else data/ in the project);
 * a path the config gives is used as written. (The defaults are read from the environment when the
 * config is parsed, as the worker and the CLI parse it at start.)
 */

const PROJECT_ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** `fn` with DE_DATA_DIR set to `dir` (unset: undefined), the process's own value put back after */
function withDataDir<T>(dir: string | undefined, fn: () => T): T {
  const before = process.env.DE_DATA_DIR;
  const set = (v: string | undefined) => {
    if (v === undefined) delete process.env.DE_DATA_DIR;
    else process.env.DE_DATA_DIR = v;
  };
  set(dir);
  try {
    return fn();
  } finally {
    set(before);
  }
}

describe('data files follow the data folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'de-data-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('left out of the config: in DE_DATA_DIR, and without it in data/ of the project', () => {
    const moved = withDataDir(join(dir, 'elsewhere'), () => parseConfig('symbols: [BTCUSDT]\n'));
    assert.equal(moved.market_data.watch_file, join(dir, 'elsewhere', 'feed-watch.json'));
    assert.equal(moved.strategist.budget.state_file, join(dir, 'elsewhere', 'llm-spend.json'));
    const home = withDataDir(undefined, () => parseConfig('symbols: [BTCUSDT]\n'));
    assert.equal(home.market_data.watch_file, join(PROJECT_ROOT, 'data', 'feed-watch.json'));
    assert.equal(home.strategist.budget.state_file, join(PROJECT_ROOT, 'data', 'llm-spend.json'));
  });

  it('the shipped config leaves both to the data folder', () => {
    const shipped = withDataDir(dir, () => loadConfig(join(PROJECT_ROOT, 'config', 'trading_config.yaml')));
    assert.equal(shipped.market_data.watch_file, join(dir, 'feed-watch.json'));
    assert.equal(shipped.strategist.budget.state_file, join(dir, 'llm-spend.json'));
  });

  it('a path the config gives is used as written, wherever DE_DATA_DIR points', () => {
    const text = 'symbols: [BTCUSDT]\nmarket_data: { watch_file: state/watch.json }\nstrategist: { budget: { state_file: /var/spend.json } }\n';
    const cfg = withDataDir(dir, () => parseConfig(text));
    assert.equal(cfg.market_data.watch_file, 'state/watch.json', 'relative: from the working directory, as before');
    assert.equal(cfg.strategist.budget.state_file, '/var/spend.json');
  });

  it('the feed watch and the spend ledger the engine builds from the config write into the data folder', () => {
    const data = join(dir, 'data');
    const cfg = withDataDir(data, () => parseConfig('symbols: [BTCUSDT]\nstrategist: { kind: llm }\n'));
    // the worker's feed watch (src/worker.ts builds it from market_data.watch_file)
    new FeedWatch(cfg.market_data.watch_file).see('BTCUSDT', Date.UTC(2021, 4, 19), Date.now());
    assert.ok(existsSync(join(data, 'feed-watch.json')), 'the feed watch is in the data folder');
    const strategist = createStrategist(cfg, { OPENAI_API_KEY: 'sk-data-files-0000' }, () => undefined);
    assert.ok(strategist instanceof BudgetedStrategist);
    strategist.options.ledger.record({ promptTokens: 1, completionTokens: 1, totalTokens: 2 }, null, Date.now());
    assert.ok(existsSync(join(data, 'llm-spend.json')), 'the spend of the day is in the data folder');
  });
});
