import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import type { AllActivities } from '../../src/activities';
import type { StrategistDecision } from '../../src/contract/results';
import type { MarketSnapshot } from '../../src/strategist/marketSnapshot';
import { parseConfig } from '../../src/config/load';
import { createCcxtBinance, paperCredentials } from '../../src/exchange/ccxtClient';
import { ExchangeGateway } from '../../src/exchange/gateway';
import type { SimulatorHandle } from '../../src/simulator';
import { openTradeLog } from '../../src/journal/tradeLog';
import { freePort } from '../../src/devstack/freePort';
import { selectPriceFeed } from '../../src/devstack/priceFeed';
import { startPaperExchange } from '../../src/devstack/paperExchange';
import { StartRefused } from '../../src/devstack/startChecks';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { LlmStrategist } from '../../src/strategist/llmStrategist';
import { PAPER_RESET_HINT } from '../../src/worker';
import { marketLimitsFrom } from '../../src/activities/marketGuard';
import { FeedWatch } from '../../src/marketdata/feedWatch';
import { FakeLlmServer, structured } from '../support/fakeLlmServer';
import { tempDir } from '../support/simulator';

/**
 * The README's own path, reproduced: `npm start` on the synthetic feed (no internet, no candles),
 * stopped, then `npm start -- --candles-dir ../shared/data/candles`. The paper account saved by the
 * first run holds a synthetic clock and last price; before the fix the second run kept them, the
 * replay had nothing left to show, and an entry "within 2% of the last price" was placed about twice
 * the real market. Now the start refuses (saying how to reset), --reset-paper starts afresh on the
 * real candles, and even a paper account saved before feeds were recorded cannot make a trade.
 */

const never = async () => false;

describe('synthetic feed, then real candles: the paper account of another feed', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let config: ReturnType<typeof parseConfig>;
  let llm: FakeLlmServer;
  const sims: SimulatorHandle[] = [];

  before(async () => {
    dir = tempDir('de-feed-switch-');
    env = { DE_DATA_DIR: dir };
    config = parseConfig(`symbols: [BTCUSDT]\nexchange: { simulator_url: "http://127.0.0.1:${await freePort()}" }\n`);
    llm = await FakeLlmServer.start();
  });
  after(async () => {
    for (const s of sims) await s.close().catch(() => undefined);
    await llm.close();
  });

  const start = async (feedChoice: 'synthetic' | 'auto', resetPaper = false, lines: string[] = []) => {
    const feed = await selectPriceFeed({ symbols: config.symbols, choice: feedChoice, candlesDir: sharedCandlesDir(), probeLive: never });
    const sim = await startPaperExchange(config, feed, { replaySpeed: 1, resetPaper }, env, (l) => lines.push(l));
    sim.pause(); // the test steps the market itself
    sims.push(sim);
    return { sim, feed };
  };
  const stop = async (sim: SimulatorHandle) => {
    await sim.close();
    sims.splice(sims.indexOf(sim), 1);
  };

  function activitiesOn(sim: SimulatorHandle): { activities: AllActivities; close: () => Promise<void> } {
    const creds = paperCredentials(env);
    const exchange = createCcxtBinance({ mode: 'paper', simulatorUrl: sim.url, credentials: creds, timeoutMs: 5_000, rateLimitMs: 1 });
    const activities = createActivities({
      gateway: new ExchangeGateway(exchange),
      strategist: new LlmStrategist({ baseUrl: llm.baseUrl, apiKey: 'sk-feed-switch-0000', model: 'fake', temperature: 0, timeoutMs: 5_000, maxRetries: 0, maxPromptTokens: 4_000 }),
      tradeLog: openTradeLog(join(dir, 'trade_log.csv')),
      timeframes: ['15m', '1h'],
      risk: config.risk,
      secrets: [creds.apiKey, creds.secret],
      marketGuard: {
        limits: marketLimitsFrom(config.market_data, config.cycle_interval),
        wallClocked: false,
        watch: new FeedWatch(join(dir, 'feed-watch.json')),
        resetHint: PAPER_RESET_HINT,
      },
    });
    return { activities, close: () => exchange.close() };
  }
  const run = <R>(fn: (input: any) => Promise<R>, input: unknown): Promise<R> => new MockActivityEnvironment().run(fn, input) as Promise<R>;

  it('refuses to start the candle replay over the synthetic paper account, and --reset-paper starts afresh on the real market', async () => {
    const first = await start('synthetic');
    assert.equal(first.feed.spec.kind, 'synthetic');
    await first.sim.advance(3);
    const syntheticClock = first.sim.now();
    await stop(first.sim);
    const saved = JSON.parse(readFileSync(join(dir, 'simulator-state.json'), 'utf8'));
    assert.match(saved.feed, /^synthetic seed 42/);

    await assert.rejects(start('auto'), (err: unknown) => {
      assert.ok(err instanceof StartRefused);
      assert.match(err.message, /belongs to the price feed "synthetic seed 42 every 300000 ms", not "candles .*candles 5m"/);
      assert.match(err.message, /npm start -- --reset-paper/);
      return true;
    });
    assert.equal(JSON.parse(readFileSync(join(dir, 'simulator-state.json'), 'utf8')).clock, saved.clock, 'the refused start changed nothing');

    const lines: string[] = [];
    const second = await start('auto', true, lines);
    assert.equal(second.feed.spec.kind, 'candles');
    assert.match(lines.join('\n'), /paper account reset: a fresh one starts; the old one is kept at .*simulator-state\.json\..*\.bak/);
    assert.ok(readdirSync(dir).some((f) => /^simulator-state\.json\..*\.bak$/.test(f)));
    assert.ok(second.sim.now() < syntheticClock, 'the replay runs on its own (2021) clock, not the synthetic one');

    // the market the strategist now sees is the real one: last price = the newest real candle's close
    const { activities, close } = activitiesOn(second.sim);
    try {
      const market = await run<MarketSnapshot>(activities.fetchMarketData, { symbol: 'BTCUSDT' });
      const candle5m = readCandleClose(second.sim.now());
      assert.equal(market.last, candle5m);
    } finally {
      await close();
      await stop(second.sim);
    }
  });

  it('a paper account saved before feeds were recorded: the stale synthetic price is refused and no order is placed', async () => {
    const d = tempDir('de-feed-legacy-');
    env = { DE_DATA_DIR: d };
    dir = d;
    const first = await start('synthetic');
    await first.sim.advance(3);
    await stop(first.sim);
    // what the previous version wrote: the same state without the feed it belongs to
    const file = join(d, 'simulator-state.json');
    const legacy = JSON.parse(readFileSync(file, 'utf8'));
    delete legacy.feed;
    writeFileSync(file, JSON.stringify(legacy));

    const lines: string[] = [];
    const second = await start('auto', false, lines);
    assert.match(lines.join('\n'), /WARNING: simulator: .* does not say which feed it was made with/);
    const { activities, close } = activitiesOn(second.sim);
    try {
      const market = await run<MarketSnapshot>(activities.fetchMarketData, { symbol: 'BTCUSDT' });
      const candles = market.timeframes[0]!;
      assert.ok(market.last > candles.lastClose * 1.5, `the bug's setting: last ${market.last} vs the newest real close ${candles.lastClose}`);
      // a model that trusts the last price plans "within 2%" of it: about twice the real market
      const entry = Math.round(market.last * 0.995);
      llm.enqueue(structured({
        action: 'PLAN_TRADE',
        trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: entry, stop_loss_price: Math.round(entry * 0.98), take_profit_prices: [Math.round(entry * 1.04)], position_size_percent: 5 },
        reasoning: 'buy',
      }));
      const requestsBefore = llm.requests.length;
      const decision = await run<StrategistDecision>(activities.askStrategist, { symbol: 'BTCUSDT', sequence: 1, trade: null, market });
      assert.equal(decision.command.action, 'DO_NOTHING');
      assert.equal(decision.accepted, false);
      assert.equal(decision.rejection?.stage, 'market');
      assert.equal(decision.rejection?.code, 'STALE_MARKET_DATA');
      assert.match(decision.rejection!.reason, /the newest candle closed at 20\d\d-.*intervals before the last price's time 2024-.*not of the same moment; no trade this cycle/);
      assert.match(decision.rejection!.reason, /Paper mode: .*`npm start -- --reset-paper`/);
      assert.equal(llm.requests.length, requestsBefore, 'the LLM is not asked (nor paid) on data like this');
      const gateway = new ExchangeGateway(createCcxtBinance({ mode: 'paper', simulatorUrl: second.sim.url, credentials: paperCredentials(env), timeoutMs: 5_000, rateLimitMs: 1 }));
      assert.deepEqual(await gateway.fetchOpenOrders('BTCUSDT'), [], 'nothing was placed');
      await gateway.exchange.close();
    } finally {
      llm.reset();
      await close();
      await stop(second.sim);
    }
  });
});

/** close of the shared 5m candle that closed at `clock` (the replay's newest) */
function readCandleClose(clock: number): number {
  const rows = readFileSync(join(sharedCandlesDir(), 'BTCUSDT-5m.csv'), 'utf8').trim().split('\n');
  const open = clock - 300_000;
  const row = rows.find((r) => r.startsWith(`${open},`));
  assert.ok(row, `a 5m candle opening at ${new Date(open).toISOString()}`);
  return Number(row.split(',')[4]);
}
