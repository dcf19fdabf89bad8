import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { startTrader } from '../../src/cli/traders';
import { loadConfig } from '../../src/config/load';
import type { TradingConfig } from '../../src/config/schema';
import { PROJECT_ROOT, type TemporalServerHandle } from '../../src/devstack/temporalServer';
import { startSimulator, type FaultSpec, type SimulatorHandle } from '../../src/simulator';
import { createCcxtForSimulator } from '../../src/simulator/ccxtForSimulator';
import { readTradeLog } from '../../src/journal/tradeLog';
import type { TradeLogRecord } from '../../src/journal/rows';
import { sharedCandlesDir } from '../../src/marketdata/candleFile';
import { belongsTo, parseClientId } from '../../src/oms/clientIds';
import type { Trade } from '../../src/domain/trade';
import { ORDER_MONITOR_WORKFLOW_ID, traderWorkflowId } from '../../src/contract/ids';
import { stateQuery } from '../../src/contract/signals';
import type { SymbolTraderState } from '../../src/contract/traderState';
import { FakeLlmServer, structured } from './fakeLlmServer';
import { recordHistory } from './temporalHistories';
import { workflowBundle } from './temporalEnv';
import { devServerIn, devServerOn } from './temporalEnv';
import { startCluster, type ClusterHandle } from '../../src/devstack/cluster/cluster';
import { quietCadence } from './quietCadence';

/**
 * The whole product on one machine for crash tests: a Temporal dev server (the project's pinned
 * CLI, SQLite in a temp dir), the exchange simulator on a stepped feed of real candles (state file
 * in the temp dir), the OpenAI-compatible test server, and the REAL worker in a child process
 * (test/support/crashWorker.ts) that a test kills with SIGKILL and starts again.
 *
 * Everything listens on 127.0.0.1, on ports the OS hands out. Tests wait on real conditions
 * (`until`: bounded polling of the simulator, the workflow's query or its history), never on time.
 */

export const SYMBOL = 'BTCUSDT';
export const PAPER_KEY = 'crash-paper-key-7f3a';
export const PAPER_SECRET = 'crash-paper-secret-91be';
const OPENAI_KEY = 'sk-crash-test-5d2c8e';
const STARTING_USDT = 10_000;

/** which Temporal server the stack runs on: the CLI's dev server (SQLite) or the production cluster (PostgreSQL) */
export type CrashServer = 'dev' | 'cluster';

export interface CrashStack {
  dir: string;
  server: TemporalServerHandle;
  /** the production cluster's parts (kill and restart the server, restart PostgreSQL), when on it */
  cluster?: ClusterHandle;
  client: Client;
  sim: SimulatorHandle;
  llm: FakeLlmServer;
  exchange: ExchangeInspector;
  config: TradingConfig;
  tradeLogPath: string;
  /** starts a worker process (with these extra environment variables, e.g. DE_WORKER_ROLES) and resolves once it polls */
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  /** the worker processes started so far that are still alive */
  liveWorkers(): WorkerProcess[];
  /** SIGKILLs the Temporal dev server (its SQLite database stays) */
  killServer(): Promise<void>;
  /** starts the dev server again on the same address and database; resolves once it answers */
  restartServer(): Promise<void>;
  /** the symbol's trader, started the way `start` of the CLI starts it */
  startTrader(): Promise<WorkflowHandle>;
  trader(): WorkflowHandle;
  /** the trader's state through its query (needs a live worker) */
  state(): Promise<SymbolTraderState>;
  tradeLog(): Promise<TradeLogRecord[]>;
  /** what the test saw, for failure messages */
  diagnostics(): Promise<string>;
  close(): Promise<void>;
}

export interface WorkerProcess {
  pid: number;
  /** the identity it polls with (the SDK's default, pid@host): the server names it for each running activity */
  identity: string;
  alive(): boolean;
  output(): string;
  /** SIGKILL: no shutdown hook runs, in-flight activities are simply gone */
  kill(): Promise<void>;
}

export interface CrashStackOptions {
  /**
   * the workers hear fills over the simulator's user-data stream (exchange.user_stream); default
   * false: the crash tests written for the polling monitor keep testing it (it stays the fallback)
   */
  userStream?: boolean;
}

export async function startCrashStack(name: string, on: CrashServer = 'dev', opts: CrashStackOptions = {}): Promise<CrashStack> {
  const dir = mkdtempSync(join(tmpdir(), `de-${name}-`));
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => rmSync(dir, { recursive: true, force: true })];
  const workers: WorkerProcess[] = [];
  const cleanup = async () => {
    for (const w of workers) await w.kill().catch(() => undefined);
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve().then(c).catch(() => undefined);
  };
  try {
    let server: TemporalServerHandle;
    let cluster: ClusterHandle | undefined;
    if (on === 'cluster') {
      cluster = await startCluster({ dir: join(dir, 'cluster'), uiPort: null });
      const serverConnection = await Connection.connect({ address: cluster.address });
      server = cluster.asServerHandle(serverConnection);
      cleanups.push(() => cluster!.stop(), () => serverConnection.close());
    } else {
      server = await devServerIn(dir);
      cleanups.push(() => server.stop());
    }

    const sim = await startSimulator({
      feed: { kind: 'candles', files: { [SYMBOL]: join(sharedCandlesDir(), `${SYMBOL}-15m.csv`) } },
      accounts: [{ apiKey: PAPER_KEY, apiSecret: PAPER_SECRET, balances: { USDT: STARTING_USDT } }],
      stateFile: join(dir, 'simulator-state.json'),
    });
    cleanups.push(() => sim.close());
    const llm = await FakeLlmServer.start();
    cleanups.push(() => llm.close());

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });

    const exchange = new ExchangeInspector(sim.url);
    await exchange.load();
    cleanups.push(() => exchange.close());

    const tradeLogPath = join(dir, 'trade_log.csv');
    const configPath = join(dir, 'trading_config.yaml');
    writeFileSync(
      configPath,
      [
        `symbols: [${SYMBOL}]`,
        // one cycle only: the test drives everything after the first decision through the exchange
        ...quietCadence().lines, // that one cycle at once, and no grid point while the test runs
        'timeframes: [15m, 1h]',
        `exchange: { mode: paper, simulator_url: "${sim.url}", user_stream: ${opts.userStream === true} }`,
        `strategist: { kind: llm, model: fake-model, base_url: "${llm.baseUrl}", timeout: 10s, max_retries: 0, budget: { state_file: "${join(dir, 'llm-spend.json')}" } }`,
        // the worker's own state files in the temp dir too: the project's data/feed-watch.json would
        // remember this very feed from an earlier run and call it FROZEN (its candles do not move)
        `market_data: { watch_file: "${join(dir, 'feed-watch.json')}" }`,
        `trade_log: ${tradeLogPath}`,
      ].join('\n') + '\n',
    );
    const config = loadConfig(configPath);
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
      TRADING_CONFIG: configPath,
      DE_SIMULATOR_URL: sim.url,
      DE_PAPER_API_KEY: PAPER_KEY,
      DE_PAPER_API_SECRET: PAPER_SECRET,
      OPENAI_API_KEY: OPENAI_KEY,
      BINANCE_API_KEY: '',
      BINANCE_API_SECRET: '',
    };

    const trader = () => client.workflow.getHandle(traderWorkflowId(SYMBOL));
    const stack: CrashStack = {
      dir,
      server,
      ...(cluster ? { cluster } : {}),
      client,
      sim,
      llm,
      exchange,
      config,
      tradeLogPath,
      async startWorker(env = {}) {
        const w = await spawnWorker({ ...childEnv, ...env });
        workers.push(w);
        return w;
      },
      liveWorkers: () => workers.filter((w) => w.alive()),
      async killServer() {
        const pid = server.pid;
        if (pid === undefined) throw new Error('the dev server was not started by this test (no pid to kill)');
        process.kill(pid, 'SIGKILL');
        await until(stack, 'the killed dev server to be gone', async () => processAlive(pid), (alive) => !alive, 20_000, 100);
        await server.connection.close().catch(() => undefined);
      },
      async restartServer() {
        server = await devServerOn(dir, server.address);
        stack.server = server;
      },
      async startTrader() {
        await startTrader(client, config, SYMBOL);
        return trader();
      },
      trader,
      state: () => trader().query(stateQuery),
      tradeLog: () => readTradeLog(tradeLogPath, { symbol: SYMBOL }),
      async diagnostics() {
        const parts: string[] = [];
        parts.push(`simulator requests (last 40): ${sim.requests().slice(-40).map((r) => `${r.method} ${r.path}`).join(', ')}`);
        parts.push(`exchange: ${await exchange.describe().catch((e) => `unreadable: ${e.message}`)}`);
        parts.push(`trader history: ${await historySummary(trader()).catch((e) => `unreadable: ${e.message}`)}`);
        parts.push(`monitor history: ${await historySummary(client.workflow.getHandle(ORDER_MONITOR_WORKFLOW_ID)).catch((e) => `unreadable: ${e.message}`)}`);
        const rows = await readTradeLog(tradeLogPath).catch(() => []);
        parts.push(`trade log: ${rows.map((r) => `${r.kind}/${r.action}/${r.status}`).join(', ')}`);
        for (const w of workers) parts.push(`worker ${w.pid} output:\n${w.output().slice(-3000)}`);
        return parts.join('\n');
      },
      close: cleanup,
    };
    return stack;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function spawnWorker(env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/support/crashWorker.ts'], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  // the test process must never leave a worker behind, whatever happens to it
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`worker did not start polling within 180 s (it bundles the workflow code first; a busy machine is slow at that):\n${out}`));
    }, 180_000);
    const onData = (d: Buffer) => {
      out += d;
      if (/crash-worker: polling/.test(out)) {
        clearTimeout(timer);
        resolve({
          pid: child.pid!,
          identity: `${child.pid}@${hostname()}`,
          alive: () => child.exitCode === null && child.signalCode === null,
          output: () => out,
          kill,
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${signal ?? code}) before polling:\n${out}`));
    });
  });
}

/**
 * Polls `probe` until `done` holds for what it returned, at most `timeoutMs`; fails with the last
 * value seen and the stack's diagnostics. The interval is between real reads, not a synchronisation.
 */
export async function until<T>(
  stack: CrashStack,
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 150_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (done(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? `error: ${(lastError as Error).message}` : JSON.stringify(last, null, 1)?.slice(0, 4000);
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}\nlast seen: ${seen}\n${await stack.diagnostics()}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** resolves once the simulator has received `count` requests `method path` (counted since the start) */
export function requestReceived(stack: CrashStack, method: string, path: string, count = 1): Promise<unknown> {
  return until(
    stack,
    `the simulator to receive ${method} ${path} (${count}x)`,
    async () => stack.sim.requests().filter((r) => r.method === method && r.path === path).length,
    (n) => n >= count,
    90_000,
    // the simulator's request log is in this process: reading it is free, and the kill must land
    // well inside the worker's 10 s request timeout
    20,
  );
}

export function countRequests(stack: CrashStack, method: string, path: string): number {
  return stack.sim.requests().filter((r) => r.method === method && r.path === path).length;
}

export function armFault(stack: CrashStack, fault: FaultSpec): void {
  stack.sim.faults.add(fault);
}

const EVENT_NAMES: Record<number, string> = {
  1: 'started', 2: 'completed', 3: 'failed', 4: 'timedOut', 8: 'workflowTaskTimedOut', 9: 'workflowTaskFailed',
  10: 'scheduled', 11: 'started', 12: 'completed', 13: 'failed', 14: 'TIMED_OUT', 16: 'cancelled',
  17: 'timer', 18: 'timerFired', 19: 'timerCancelled', 26: 'signal', 27: 'terminated', 28: 'continuedAsNew',
  37: 'signalOut', 39: 'signalledOut', 40: 'searchAttributes',
};

/**
 * The workflow's history as a compact line: workflow tasks and timers left out, activities by name
 * (with the attempt that ran them), signals by name, repeats counted; the last `limit` items.
 */
export async function historySummary(handle: WorkflowHandle, limit = 60): Promise<string> {
  const history = await handle.fetchHistory();
  const names = new Map<string, string>();
  const items: string[] = [];
  for (const e of history.events ?? []) {
    const type = Number(e.eventType);
    // workflow-task bookkeeping and the timers between polls are noise here
    if ([5, 6, 7, 17, 18, 19].includes(type)) continue;
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) names.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const ref =
      e.activityTaskStartedEventAttributes?.scheduledEventId ??
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId;
    const kind = EVENT_NAMES[type] ?? `event${type}`;
    if (scheduled) continue; // shown by its outcome (or as in flight below)
    if (ref !== undefined && ref !== null) {
      const attempt = e.activityTaskStartedEventAttributes?.attempt;
      if (type === 11) {
        if (attempt && attempt > 1) items.push(`${names.get(String(ref))}:attempt${attempt}`);
        continue;
      }
      items.push(`${names.get(String(ref))}:${kind}`);
      names.delete(String(ref));
      continue;
    }
    const signal = e.workflowExecutionSignaledEventAttributes?.signalName;
    items.push(signal ? `signal:${signal}` : kind);
  }
  for (const name of names.values()) items.push(`${name}:IN_FLIGHT`);
  const runs: string[] = [];
  for (let i = 0; i < items.length; ) {
    let j = i;
    while (j < items.length && items[j] === items[i]) j++;
    runs.push(j - i > 1 ? `${items[i]} x${j - i}` : items[i]!);
    i = j;
  }
  return (runs.length > limit ? ['...', ...runs.slice(-limit)] : runs).join(', ');
}

/** activity names whose task is scheduled but not completed, failed or timed out: in flight */
export async function activitiesInFlight(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  const open = new Map<string, string>();
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) open.set(String(e.eventId), s.activityType?.name ?? '?');
    const done =
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
      e.activityTaskCanceledEventAttributes?.scheduledEventId;
    if (done !== undefined && done !== null) open.delete(String(done));
  }
  return [...open.values()];
}

/**
 * The workflow has taken in everything that happened: no activity in flight and no workflow task
 * scheduled since the last one completed (the server schedules one in the same step as any event
 * that needs it), so a query now sees the state after the last result.
 */
export async function workflowIdle(handle: WorkflowHandle): Promise<boolean> {
  if ((await activitiesInFlight(handle)).length > 0) return false;
  const types = ((await handle.fetchHistory()).events ?? []).map((e) => Number(e.eventType));
  return types.lastIndexOf(5) < types.lastIndexOf(7);
}

/**
 * The recorded history must replay against today's workflow code without nondeterminism; with
 * RECORD_HISTORIES=1 it is also kept as test/fixtures/histories/<name>.json for the replay test.
 */
export async function replayAndRecord(handle: WorkflowHandle, name: string): Promise<void> {
  const history = await handle.fetchHistory();
  assertNoSecrets(JSON.stringify(history), `the history of ${handle.workflowId}`);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
  await recordHistory(handle, name);
}

// ---------------------------------------------------------------------------------------------

export interface ExchangeOrderView {
  clientOrderId: string;
  type: string;
  side: string;
  status: string;
  amount: number;
  filled: number;
  price: number | null;
  stopPrice: number | null;
}

export interface ExchangeListView {
  listClientOrderId: string;
  status: string;
  legs: string[];
}

/** Reads the simulator through its REST API with its own real ccxt client (the account's keys). */
export class ExchangeInspector {
  readonly ex: ReturnType<typeof createCcxtForSimulator>;

  constructor(url: string) {
    this.ex = createCcxtForSimulator(url, PAPER_KEY, PAPER_SECRET);
  }

  async load(): Promise<void> {
    await this.ex.loadMarkets();
  }

  async close(): Promise<void> {
    await this.ex.close();
  }

  async lastPrice(): Promise<number> {
    return (await this.ex.fetchTicker('BTC/USDT')).last!;
  }

  async openOrders(): Promise<ExchangeOrderView[]> {
    return (await this.ex.fetchOpenOrders('BTC/USDT')).map(view);
  }

  async order(clientOrderId: string): Promise<ExchangeOrderView> {
    return view(await this.ex.fetchOrder('', 'BTC/USDT', { origClientOrderId: clientOrderId }));
  }

  async openLists(): Promise<ExchangeListView[]> {
    return ((await (this.ex as any).privateGetOpenOrderList({})) as any[]).map(listView);
  }

  /** every order list the account ever placed, whatever became of it */
  async allLists(): Promise<ExchangeListView[]> {
    return ((await (this.ex as any).privateGetAllOrderList({})) as any[]).map(listView);
  }

  async balance(asset: string): Promise<{ free: number; used: number; total: number }> {
    const b = await this.ex.fetchBalance();
    return { free: b[asset]?.free ?? 0, used: b[asset]?.used ?? 0, total: b[asset]?.total ?? 0 };
  }

  async describe(): Promise<string> {
    const [open, lists, btc] = await Promise.all([this.openOrders(), this.allLists(), this.balance('BTC')]);
    return JSON.stringify({ openOrders: open, orderLists: lists, BTC: btc });
  }
}

function view(o: any): ExchangeOrderView {
  return {
    clientOrderId: String(o.clientOrderId ?? o.info?.clientOrderId ?? ''),
    type: String(o.info?.type ?? o.type),
    side: String(o.info?.side ?? o.side),
    status: String(o.info?.status ?? o.status),
    amount: Number(o.amount),
    filled: Number(o.filled),
    price: o.price ?? null,
    stopPrice: o.stopPrice ?? o.triggerPrice ?? null,
  };
}

function listView(l: any): ExchangeListView {
  return {
    listClientOrderId: String(l.listClientOrderId),
    status: String(l.listOrderStatus),
    legs: (l.orders ?? []).map((o: any) => String(o.clientOrderId)),
  };
}

/** the exchange orders and lists that belong to this trade, by client id */
export function ofTrade<T extends { clientOrderId?: string; listClientOrderId?: string }>(items: T[], trade: Trade): T[] {
  return items.filter((i) => belongsTo(i.clientOrderId ?? i.listClientOrderId ?? '', trade.id));
}

export function legKind(clientOrderId: string): string {
  const p = parseClientId(clientOrderId);
  if (!p) return 'foreign';
  return p.leg.kind === 'entry' || p.leg.kind === 'close' || p.leg.kind === 'flatten' ? p.leg.kind : `${p.leg.kind}:${p.leg.leg}`;
}

/** credentials the worker holds must never show in a payload, the history or the trade log */
export function assertNoSecrets(text: string, where: string): void {
  for (const secret of [PAPER_KEY, PAPER_SECRET, OPENAI_KEY]) {
    if (text.includes(secret)) throw new Error(`${where} contains a credential (${secret.slice(0, 6)}...)`);
  }
}

/** row ids that occur more than once in the trade log */
export function duplicateRowIds(rows: TradeLogRecord[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const r of rows) (seen.has(r.row_id) ? dup : seen).add(r.row_id);
  return [...dup];
}

/** price rounded to the market's tick (0.01) */
export function tick(price: number): number {
  return Math.round(price * 100) / 100;
}

/** one crash stack for the calling describe block: started before its tests, closed after them */
export function crashStackSuite(name: string, on: CrashServer = 'dev', opts: CrashStackOptions = {}): { readonly stack: CrashStack } {
  let stack: CrashStack | undefined;
  before(async () => {
    stack = await startCrashStack(name, on, opts);
  });
  after(async () => {
    await stack?.close();
  });
  return {
    get stack(): CrashStack {
      if (!stack) throw new Error(`the crash stack ${name} is only there inside its tests (before() has not run)`);
      return stack;
    },
  };
}

/**
 * Scripts the strategist's next answer: a LONG plan for 5% of the account, entry just below the
 * last price, stop 2% under the entry, a target at each of `targetFactors` times the entry.
 */
export async function enqueueLongPlan(
  stack: CrashStack,
  targetFactors: number[],
  reasoning: string,
): Promise<{ entry: number; stop: number; targets: number[] }> {
  const last = await stack.exchange.lastPrice();
  const entry = tick(last * 0.995);
  const stop = tick(entry * 0.98);
  const targets = targetFactors.map((f) => tick(entry * f));
  stack.llm.enqueue(
    structured({
      action: 'PLAN_TRADE',
      trade_setup: { symbol: SYMBOL, direction: 'LONG', entry_price: entry, stop_loss_price: stop, take_profit_prices: targets, position_size_percent: 5 },
      reasoning,
    }),
  );
  return { entry, stop, targets };
}

/** the trade log once it records the transition to ACTIVE, checked for rows written twice and for credentials */
export async function tradeLogAfterActive(stack: CrashStack): Promise<TradeLogRecord[]> {
  const rows = await until(
    stack,
    'the trade log to record the transition to ACTIVE',
    () => stack.tradeLog(),
    (r) => r.some((row) => row.kind === 'TRANSITION' && row.action === 'PENDING->ACTIVE'),
    30_000,
  );
  assert.deepEqual(duplicateRowIds(rows), [], 'no row written twice');
  assertNoSecrets(readFileSync(stack.tradeLogPath, 'utf8'), 'the trade log');
  return rows;
}
