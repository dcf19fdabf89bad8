import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load';
import { parseDuration } from '../../src/config/schema';
import { symbolTraderInput } from '../../src/cli/traders';

function configError(text: string, file = 'cfg.yaml'): string {
  try {
    parseConfig(text, file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    return err.message;
  }
  assert.fail('configuration was accepted');
}

describe('trading config', () => {
  it('loads the shipped config with paper mode and both symbol spellings canonicalised', () => {
    const cfg = loadConfig('config/trading_config.yaml');
    assert.deepEqual(cfg.symbols, ['BTCUSDT', 'ETHUSDT']);
    assert.equal(cfg.exchange.mode, 'paper');
    assert.equal(cfg.exchange.confirm_live_trading, false);
    assert.equal(cfg.cycle_interval, 15 * 60_000);
    assert.equal(cfg.trade_log, 'data/trade_log.csv');
  });

  it('fills defaults for everything but the symbols', () => {
    const cfg = parseConfig('symbols: [btc/usdt]');
    assert.deepEqual(cfg.symbols, ['BTCUSDT']);
    assert.equal(cfg.exchange.mode, 'paper');
    assert.equal(cfg.strategist.kind, 'llm');
    assert.equal(cfg.strategist.timeout, 30_000);
    assert.equal(cfg.risk.max_position_size_percent, 10);
    assert.deepEqual(cfg.paper.starting_balances, { USDT: 10_000 });
  });

  it('names the file, the field and the problem', () => {
    const msg = configError('symbols: [BTCUSDT]\nrisk:\n  max_position_size_percent: 250\n', 'my.yaml');
    assert.match(msg, /my\.yaml: risk\.max_position_size_percent: .*100/);
  });

  it('rejects an unknown symbol form, listing its index', () => {
    assert.match(configError('symbols: [BTCUSDT, "??"]'), /symbols\[1\]: invalid symbol "\?\?"/);
  });

  it('rejects repeated symbols even when spelled differently', () => {
    assert.match(configError('symbols: [BTCUSDT, BTC/USDT]'), /symbols: symbols must not repeat/);
  });

  it('rejects unknown keys, so a typo never silently falls back to a default', () => {
    assert.match(configError('symbols: [BTCUSDT]\nrisk:\n  max_posiiton_size_percent: 5\n'), /risk: Unrecognized key: "max_posiiton_size_percent"/);
  });

  it('rejects a mode that does not exist', () => {
    assert.match(configError('symbols: [BTCUSDT]\nexchange: { mode: real }'), /exchange\.mode: /);
  });

  it('rejects a bad cycle interval with the text given', () => {
    assert.match(configError('symbols: [BTCUSDT]\ncycle_interval: soon'), /cycle_interval: "soon" is not a duration/);
  });

  it('aligns cycles to candle closes by default; the first cycle and the offset are settings', () => {
    const cfg = parseConfig('symbols: [BTCUSDT]');
    assert.equal(cfg.first_cycle, 'aligned');
    assert.equal(cfg.cycle_offset_max, 2 * 60_000);
    // what the product starts a trader with: the offset capped at a tenth of the 15-minute interval
    assert.deepEqual(symbolTraderInput(cfg, 'BTCUSDT').cycleAlignment, { firstCycle: 'aligned', maxOffsetMs: 90_000 });
    const immediate = parseConfig('symbols: [BTCUSDT]\nfirst_cycle: immediate\ncycle_offset_max: 0s\ncycle_interval: 1h');
    assert.deepEqual(symbolTraderInput(immediate, 'BTCUSDT').cycleAlignment, { firstCycle: 'immediate', maxOffsetMs: 0 });
    assert.match(configError('symbols: [BTCUSDT]\nfirst_cycle: now'), /first_cycle: .*"aligned"/);
    assert.match(configError('symbols: [BTCUSDT]\ncycle_offset_max: later'), /cycle_offset_max: "later" is not a duration/);
  });

  it('reports YAML syntax errors with the file name', () => {
    assert.match(configError('symbols: [BTCUSDT\n', 'broken.yaml'), /^broken\.yaml: YAML syntax error/);
  });

  it('reports a missing file by path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'de-config-'));
    assert.throws(() => loadConfig(join(dir, 'nope.yaml')), /nope\.yaml: cannot read the configuration file \(ENOENT\)/);
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'symbols: [ETHUSDT]\n');
    assert.deepEqual(loadConfig(file).symbols, ['ETHUSDT']);
  });

  it('parses durations', () => {
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.throws(() => parseDuration('15 minutes'), /not a duration/);
  });
});

describe('risk envelope keys', () => {
  it('has conservative defaults', async () => {
    const { parseConfig } = await import('../../src/config/load');
    const { portfolioLimits, symbolEntryRules } = await import('../../src/config/envelope');
    const cfg = parseConfig('symbols: [BTCUSDT]\n');
    assert.deepEqual(portfolioLimits(cfg.risk), {
      maxOpenTrades: 3,
      maxTotalExposurePercent: 30,
      maxSymbolExposurePercent: {},
      dailyLossLimitPercent: 3,
      maxDrawdownPercent: 10,
      flattenOnHalt: false,
    });
    assert.deepEqual(symbolEntryRules(cfg.risk), { cooldownCycles: 4, maxTradesPerDay: 3, entryTimeoutMs: 4 * 3_600_000 });
    assert.equal(cfg.risk.equity_check_interval, 60_000);
  });

  it('reads per-symbol caps under canonical names and refuses caps that cannot be reached', async () => {
    const { parseConfig } = await import('../../src/config/load');
    const cfg = parseConfig('symbols: [BTCUSDT]\nrisk:\n  max_symbol_exposure_percent: { ETH/USDT: 10 }\n  entry_timeout: 2h\n');
    assert.deepEqual(cfg.risk.max_symbol_exposure_percent, { ETHUSDT: 10 });
    assert.equal(cfg.risk.entry_timeout, 7_200_000);
    assert.throws(() => parseConfig('symbols: [BTCUSDT]\nrisk:\n  max_symbol_exposure_percent: { ETHUSDT: 50 }\n'), /risk\.max_symbol_exposure_percent: .*can never be reached/);
    assert.throws(() => parseConfig('symbols: [BTCUSDT]\nrisk:\n  daily_loss_limit_percent: 0\n'), /risk\.daily_loss_limit_percent/);
    assert.throws(() => parseConfig('symbols: [BTCUSDT]\nrisk:\n  entry_timeout: soon\n'), /risk\.entry_timeout: .*not a duration/);
    assert.equal(parseConfig('symbols: [BTCUSDT]\nrisk:\n  flatten_on_halt: true\n').risk.flatten_on_halt, true, 'flatten_on_halt is carried out');
  });
});

describe('the one LLM price table (llm_models)', () => {
  it('prices the default model by default, and an own table replaces it', () => {
    const cfg = parseConfig('symbols: [BTCUSDT]\n');
    assert.deepEqual(cfg.llm_models, { 'gpt-4o-mini': { input_usd_per_million_tokens: 0.15, output_usd_per_million_tokens: 0.6 } });
    assert.equal('prices' in cfg.strategist.budget, false, 'the budget has no prices of its own');
    const own = parseConfig('symbols: [BTCUSDT]\nllm_models:\n  local-llama: { input_usd_per_million_tokens: 0, output_usd_per_million_tokens: 0 }\n');
    assert.deepEqual(Object.keys(own.llm_models), ['local-llama']);
    assert.equal(loadConfig('config/trading_config.yaml').llm_models['gpt-4o-mini']?.training_cutoff, '2023-10-01', 'the shipped config keeps its table in llm_models');
  });

  it('refuses an old config that still has strategist.budget.prices, saying where the prices went', () => {
    const msg = configError('symbols: [BTCUSDT]\nstrategist:\n  budget:\n    prices:\n      gpt-4o-mini: { input_per_million: 0.15, output_per_million: 0.6 }\n', 'old.yaml');
    assert.match(msg, /old\.yaml: strategist\.budget\.prices: strategist\.budget\.prices was removed/);
    assert.match(msg, /llm_models\.<model> \{ input_usd_per_million_tokens, output_usd_per_million_tokens \}/);
  });
});
