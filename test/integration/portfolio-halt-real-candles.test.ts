import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { journalActivities } from '../../src/activities/journal';
import { startTrader, startTraders } from '../../src/cli/traders';
import { loadConfig } from '../../src/config/load';
import { journalTaskQueue, PORTFOLIO_WORKFLOW_ID } from '../../src/contract/ids';
import { portfolioQuery, releaseSlotUpdate, requestSlotUpdate } from '../../src/contract/portfolioApi';
import type { PortfolioView } from '../../src/contract/portfolioState';
import { stateQuery } from '../../src/contract/signals';
import type { SymbolTraderState } from '../../src/contract/traderState';
import type { TemporalServerHandle } from '../../src/devstack/temporalServer';
import { tradeIdFor } from '../../src/domain/newTrade';
import { belongsTo } from '../../src/oms/clientIds';
import { readTradeLog } from '../../src/journal/tradeLog';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { startSimulator, type SimulatorHandle } from '../../src/simulator';
import { createCcxtForSimulator } from '../../src/simulator/ccxtForSimulator';
import { buildActivityDeps } from '../../src/worker';
import { FakeLlmServer, structured } from '../support/fakeLlmServer';
import { eventually } from '../support/portfolioHarness';
import { devServerIn, workflowBundle } from '../support/temporalEnv';

/**
 * The kill switch on a real day: 19 May 2021, when BTC and ETH crashed, replayed candle by candle
 * through the exchange simulator, with the real worker activities (ccxt against the simulator, the
 * openai client against the scripted LLM server, the CSV trade log) and the real workflows on the
 * Temporal CLI dev server. A BTC position (half the account) loses 2% of the day's starting equity:
 * the portfolio HALTS, the PENDING ETH entry is cancelled on the exchange, the BTC position keeps its
 * OCO protection there, no slot is granted until the next UTC day, and at 20 May 00:00 it lifts.
 */

const KEY = 'halt-paper-key-4e1a';
const SECRET = 'halt-paper-secret-77c0';
const DAY = Date.UTC(2021, 4, 19);
const NEXT_DAY = Date.UTC(2021, 4, 20);

let dir: string;
let server: TemporalServerHandle;
let sim: SimulatorHandle;
let llm: FakeLlmServer;
let connection: Connection;
let client: Client;
let worker: Worker;
let journalWorker: Worker | undefined;
let running: Promise<unknown>;
let ex: ReturnType<typeof createCcxtForSimulator>;
let tradeLogPath: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'de-halt-'));
  server = await devServerIn(dir);
  const candles = sharedCandlesDir();
  sim = await startSimulator({
    feed: { kind: 'candles', files: { BTCUSDT: join(candles, 'BTCUSDT-15m.csv'), ETHUSDT: join(candles, 'ETHUSDT-15m.csv') }, startAt: DAY },
    accounts: [{ apiKey: KEY, apiSecret: SECRET, balances: { USDT: 10_000 } }],
    stateFile: join(dir, 'simulator-state.json'),
  });
  llm = await FakeLlmServer.start();
  tradeLogPath = join(dir, 'trade_log.csv');
  const configPath = join(dir, 'trading_config.yaml');
  writeFileSync(
    configPath,
    [
      'symbols: [BTCUSDT, ETHUSDT]',
      'cycle_interval: 1h',
      'first_cycle: immediate', // cycle 1 at once, not at the next hour's close
      'timeframes: [15m, 1h]',
      `exchange: { mode: paper, simulator_url: "${sim.url}" }`,
      // the worker's state files in the temp dir, not the project's data/
      `strategist: { kind: llm, model: fake-model, base_url: "${llm.baseUrl}", timeout: 10s, max_retries: 0, budget: { state_file: "${join(dir, 'llm-spend.json')}" } }`,
      'risk: { max_position_size_percent: 50, max_entry_distance_percent: 50, max_total_exposure_percent: 90, daily_loss_limit_percent: 2, max_drawdown_percent: 50, equity_check_interval: 1s, max_stop_distance_percent: 80, max_target_distance_percent: 60 }',
      `market_data: { watch_file: "${join(dir, 'feed-watch.json')}" }`,
      `trade_log: ${tradeLogPath}`,
    ].join('\n') + '\n',
  );
  const config = loadConfig(configPath);
  const env = { ...process.env, DE_PAPER_API_KEY: KEY, DE_PAPER_API_SECRET: SECRET, OPENAI_API_KEY: 'sk-halt-test', BINANCE_API_KEY: '', BINANCE_API_SECRET: '' };
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const deps = buildActivityDeps(config, { simulatorUrl: sim.url, env });
  worker = await Worker.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: 'halt-test',
    workflowBundle: await workflowBundle(),
    activities: createActivities(deps),
  });
  // the trade log's own queue (src/worker.ts serves it the same way)
  const journal = await Worker.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: journalTaskQueue('halt-test'),
    activities: journalActivities(deps),
  });
  journalWorker = journal;
  running = Promise.all([worker.run(), journal.run()]).finally(() => nativeConnection.close());
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
  ex = createCcxtForSimulator(sim.url, KEY, SECRET);
  await ex.loadMarkets();
  (globalThis as any).haltConfig = config;
});

after(async () => {
  worker?.shutdown();
  journalWorker?.shutdown();
  await running?.catch(() => undefined);
  await ex?.close();
  await connection?.close();
  await llm?.close();
  await sim?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const tick = (p: number) => Math.round(p * 100) / 100;
const view = (): Promise<PortfolioView> => client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID).query(portfolioQuery);
const traderState = (symbol: string): Promise<SymbolTraderState> => client.workflow.getHandle(`trader-${symbol}`).query(stateQuery);

function plan(symbol: string, last: number, entryFactor: number, sizePercent: number) {
  const entry = tick(last * entryFactor);
  const stop = tick(entry * 0.68);
  return structured({
    action: 'PLAN_TRADE',
    trade_setup: { symbol, direction: 'LONG', entry_price: entry, stop_loss_price: stop, take_profit_prices: [tick(entry * 1.5)], position_size_percent: sizePercent },
    reasoning: 'test plan',
  });
}

test('19 May 2021: a real crash halts the portfolio; PENDING cancelled, the position stays protected, no entry until the next UTC day', async () => {
  const config = (globalThis as any).haltConfig;
  // BTC first (half the account, entry at the market: it fills), then ETH far below (stays PENDING)
  llm.enqueue(plan('BTCUSDT', (await ex.fetchTicker('BTC/USDT')).last!, 1.001, 50));
  await startTraders(client, { ...config, symbols: ['BTCUSDT'] }, ['BTCUSDT'], 'halt-test');
  await eventually('BTC entry placed', () => traderState('BTCUSDT'), (s) => s.trade?.status === 'PENDING' || s.trade?.status === 'ACTIVE', 60_000);
  llm.enqueue(plan('ETHUSDT', (await ex.fetchTicker('ETH/USDT')).last!, 0.6, 20));
  await startTrader(client, config, 'ETHUSDT', 'halt-test');
  await eventually('ETH entry placed', () => traderState('ETHUSDT'), (s) => s.trade?.status === 'PENDING', 60_000);
  const grants = Object.keys((await view()).grants).sort();
  assert.deepEqual(grants, [tradeIdFor('BTCUSDT', 1), tradeIdFor('ETHUSDT', 1)]);

  // replay the day, 30 minutes at a time, until the kill switch fires on a reading of that market time
  let halted: PortfolioView | undefined;
  while (!halted) {
    assert.ok(sim.now() < NEXT_DAY, 'the day ended without a halt');
    await sim.advance(2);
    const at = sim.now();
    const v = await eventually(`an equity reading at ${new Date(at).toISOString()}`, view, (x) => (x.book?.lastAt ?? 0) >= at - 1, 30_000);
    if (v.status === 'HALTED') halted = v;
  }
  assert.equal(halted.halt?.kind, 'DAILY_LOSS');
  assert.ok(halted.figures!.dayPnlPercent <= -2, `day PnL ${halted.figures!.dayPnlPercent}%`);

  const eth = await eventually('the ETH entry cancelled', () => traderState('ETHUSDT'), (s) => s.trade?.status === 'CANCELLED', 60_000);
  assert.match(eth.trade!.closeReason ?? '', /portfolio HALTED/);
  assert.deepEqual(await ex.fetchOpenOrders('ETH/USDT'), [], 'no ETH order rests on the exchange');
  const btc = await traderState('BTCUSDT');
  assert.equal(btc.trade?.status, 'ACTIVE');
  const lists = ((await (ex as any).privateGetOpenOrderList({})) as any[]).filter((l) => belongsTo(String(l.listClientOrderId), tradeIdFor('BTCUSDT', 1)));
  assert.ok(lists.length >= 1, 'the BTC position keeps its OCO (stop and target) on the exchange');
  const protectedQty = (await ex.fetchOpenOrders('BTC/USDT')).filter((o) => (o.info as any).type === 'STOP_LOSS' || (o.info as any).type === 'STOP_LOSS_LIMIT').reduce((s, o) => s + (o.amount ?? 0), 0);
  assert.ok(protectedQty > 0, 'a stop rests for the position');

  const portfolio = client.workflow.getHandle(PORTFOLIO_WORKFLOW_ID);
  const refused = await portfolio.executeUpdate(requestSlotUpdate, { args: [{ tradeId: 'T-ETHUSDT-50', symbol: 'ETHUSDT', sequence: 50, notional: 100 }] });
  assert.equal(!refused.granted && refused.code, 'PORTFOLIO_HALTED', 'no new entry while halted');
  await eventually('the halt in the trade log', () => readTradeLog(tradeLogPath), (rows) => rows.some((r) => r.symbol === 'PORTFOLIO' && r.action === 'HALTED_DAILY_LOSS'), 30_000);

  // the rest of the day: still halted, whatever prices do; at the next UTC day it lifts
  while (sim.now() < NEXT_DAY) {
    await sim.advance(8);
    const at = sim.now();
    const v = await eventually('a reading', view, (x) => (x.book?.lastAt ?? 0) >= at - 1, 30_000);
    if (at < NEXT_DAY) assert.equal(v.status, 'HALTED', `halted at ${new Date(at).toISOString()}`);
  }
  const lifted = await eventually('the halt lifted on 20 May', view, (x) => x.status === 'ACTIVE', 30_000);
  assert.equal(lifted.book?.day, '2021-05-20');
  const granted = await portfolio.executeUpdate(requestSlotUpdate, { args: [{ tradeId: 'T-ETHUSDT-51', symbol: 'ETHUSDT', sequence: 51, notional: 100 }] });
  assert.equal(granted.granted, true);
  await portfolio.executeUpdate(releaseSlotUpdate, { args: [{ tradeId: 'T-ETHUSDT-51', reason: 'test' }] });
});
