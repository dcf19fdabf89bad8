import { Agent } from 'node:http';
import ccxt from './ccxtLib';
import { type Exchange } from 'ccxt';
import type { ExchangeConfig, TradingMode } from '../config/schema';
import { registerSecret } from './errors';

/**
 * The one place a ccxt instance is made. Exchanges rate-limit (and ban) per IP and per key, so a
 * process holds ONE rate-limited instance per account, shared by every symbol: `sharedCcxt` keeps
 * them in a registry keyed by account.
 */

export interface Credentials {
  apiKey: string;
  secret: string;
}

export interface CcxtClientOptions {
  mode: TradingMode;
  /** paper mode: base URL of the exchange simulator, e.g. http://127.0.0.1:8710 */
  simulatorUrl?: string;
  credentials?: Credentials;
  /** live mode only: must be true (config exchange.confirm_live_trading) */
  confirmLiveTrading?: boolean;
  /** per-request timeout in ms (ccxt default is 10 s) */
  timeoutMs?: number;
  /** minimum ms between requests of this instance (ccxt's binance default is 50) */
  rateLimitMs?: number;
}

export class LiveTradingRefused extends Error {
  override name = 'LiveTradingRefused';
}

/**
 * The one live-trading check (npm start asks it before anything starts, the ccxt client again
 * before it can send an order): why this mode may not trade, or null. Live needs the explicit
 * setting AND keys; testnet needs (testnet) keys.
 */
export function tradingModeRefusal(mode: string, confirmLiveTrading: boolean | undefined, hasKeys: boolean): string | null {
  if (mode === 'live') {
    const missing: string[] = [];
    if (confirmLiveTrading !== true) missing.push('exchange.confirm_live_trading: true in the config');
    if (!hasKeys) missing.push('BINANCE_API_KEY and BINANCE_API_SECRET in the environment');
    if (missing.length > 0) return `LIVE trading (real money) refused: exchange.mode is live but it also needs ${missing.join(' and ')}`;
  }
  if (mode === 'testnet' && !hasKeys) return 'testnet mode needs your Binance spot testnet keys in BINANCE_API_KEY and BINANCE_API_SECRET';
  return null;
}

/** Keys come from the environment only, never from the config file. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const apiKey = env.BINANCE_API_KEY?.trim();
  const secret = env.BINANCE_API_SECRET?.trim();
  return apiKey && secret ? { apiKey, secret } : undefined;
}

export function createCcxtBinance(opts: CcxtClientOptions): Exchange {
  const { mode, credentials } = opts;
  const refusal = tradingModeRefusal(mode, opts.confirmLiveTrading, credentials !== undefined);
  if (refusal) throw new LiveTradingRefused(refusal);
  if (mode === 'paper' && !opts.simulatorUrl) {
    throw new Error('paper mode needs the exchange simulator URL (exchange.simulator_url)');
  }
  registerSecret(credentials?.apiKey);
  registerSecret(credentials?.secret);

  const exchange = new ccxt.binance(binanceSettings(opts));
  if (mode === 'testnet') exchange.setSandboxMode(true);
  if (mode === 'paper') pointAtSimulator(exchange, opts.simulatorUrl!);
  return exchange;
}

/** ccxt's websocket ("pro") binance client, for the account's user-data stream */
export type CcxtProBinance = InstanceType<typeof ccxt.pro.binance>;

/**
 * A fresh websocket client for the account (the same checks and settings as the REST one): the
 * user-data stream's. Paper mode points every REST and websocket base at the simulator, whose
 * WebSocket API (where spot's user data lives) is ws://<simulator>/ws-api/v3.
 */
export function createCcxtProBinance(opts: CcxtClientOptions): CcxtProBinance {
  const refusal = tradingModeRefusal(opts.mode, opts.confirmLiveTrading, opts.credentials !== undefined);
  if (refusal) throw new LiveTradingRefused(refusal);
  if (opts.mode === 'paper' && !opts.simulatorUrl) throw new Error('paper mode needs the exchange simulator URL (exchange.simulator_url)');
  registerSecret(opts.credentials?.apiKey);
  registerSecret(opts.credentials?.secret);
  const exchange = new ccxt.pro.binance({
    ...binanceSettings(opts),
    // ccxt opens a plain ws:// socket (the simulator's) only through an http agent of its own
    ...(opts.mode === 'paper' ? { httpAgent: new Agent() } : {}),
  });
  if (opts.mode === 'testnet') exchange.setSandboxMode(true);
  if (opts.mode === 'paper') {
    pointAtSimulator(exchange as unknown as Exchange, opts.simulatorUrl!);
    const ws = (exchange.urls['api'] as Record<string, unknown>)['ws'];
    rewriteUrls(ws, opts.simulatorUrl!.replace(/\/+$/, '').replace(/^http/, 'ws'));
  }
  return exchange;
}

/** every URL string in a nested ccxt url table, moved to `base` keeping its path */
function rewriteUrls(node: unknown, base: string): void {
  if (!node || typeof node !== 'object') return;
  const table = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(table)) {
    if (typeof value === 'string') table[key] = base + new URL(value).pathname;
    else rewriteUrls(value, base);
  }
}

function binanceSettings(opts: CcxtClientOptions): Record<string, unknown> {
  const { credentials } = opts;
  return {
    apiKey: credentials?.apiKey,
    secret: credentials?.secret,
    enableRateLimit: true,
    ...(opts.rateLimitMs !== undefined ? { rateLimit: opts.rateLimitMs } : {}),
    timeout: opts.timeoutMs ?? 10_000,
    options: {
      defaultType: 'spot',
      // spot only: loadMarkets is then a single exchangeInfo request
      fetchMarkets: { types: ['spot'] },
      fetchMargins: false,
      // currencies come from a keyed sapi endpoint the spot API (and the simulator) does not need
      fetchCurrencies: false,
      fetchOpenOrders: { warnWithoutSymbol: false },
      warnOnFetchOpenOrdersWithoutSymbol: false,
      // our own deterministic client ids, never ccxt's random broker ids
      broker: { spot: '' },
    },
  };
}

/** Rewrites the spot REST base URLs to the simulator (it speaks Binance spot REST v3). */
export function pointAtSimulator(exchange: Exchange, baseUrl: string): void {
  const url = baseUrl.replace(/\/+$/, '');
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1' && process.env.DE_ALLOW_REMOTE_SIMULATOR !== '1') {
    throw new Error(`paper mode: the simulator URL must be local (got host ${host})`);
  }
  // every base ccxt knows is rewritten (keeping its path), so no request can leave for the venue
  const api = exchange.urls['api'] as Record<string, string>;
  for (const [key, value] of Object.entries(api)) {
    if (typeof value === 'string') api[key] = url + new URL(value).pathname;
  }
}

const registry = new Map<string, Exchange>();

/** account key: mode + where + whose key (never the key itself) */
export function accountKey(opts: CcxtClientOptions): string {
  const who = opts.credentials ? opts.credentials.apiKey.slice(0, 6) + '#' + opts.credentials.apiKey.length : 'anon';
  return `${opts.mode}|${opts.simulatorUrl ?? ''}|${who}`;
}

/** The process-wide instance for this account (created on first use). */
export function sharedCcxt(opts: CcxtClientOptions): Exchange {
  const key = accountKey(opts);
  let ex = registry.get(key);
  if (!ex) {
    ex = createCcxtBinance(opts);
    registry.set(key, ex);
  }
  return ex;
}

/** for tests and shutdown */
export async function closeSharedCcxt(): Promise<void> {
  const all = [...registry.values()];
  registry.clear();
  await Promise.all(all.map((e) => e.close?.().catch(() => undefined)));
}

/** Options from the validated config, with keys from the environment. */
export function ccxtOptionsFromConfig(cfg: ExchangeConfig, env: NodeJS.ProcessEnv = process.env): CcxtClientOptions {
  const credentials = credentialsFromEnv(env);
  return {
    mode: cfg.mode,
    simulatorUrl: cfg.mode === 'paper' ? cfg.simulator_url : undefined,
    // Paper mode never reads the real Binance keys: they must not travel to the simulator (or anywhere but Binance).
    credentials: cfg.mode === 'paper' ? paperCredentials(env) : credentials,
    confirmLiveTrading: cfg.confirm_live_trading,
  };
}

/**
 * The simulator checks signatures like Binance, so paper mode signs too, with the paper account's
 * own (non-secret) key pair; DE_PAPER_API_KEY / DE_PAPER_API_SECRET override the default.
 */
export function paperCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  return {
    apiKey: env.DE_PAPER_API_KEY ?? 'paper-api-key',
    secret: env.DE_PAPER_API_SECRET ?? 'paper-api-secret',
  };
}
