import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import type ccxtModule from 'ccxt';

// ccxt's CommonJS build, the one copy src/exchange/ccxtLib.ts loads (the same cached module; why: there)
const ccxt = createRequire(import.meta.url)('ccxt') as typeof ccxtModule;

/**
 * A real ccxt binance client pointed at the simulator. Every API base ccxt knows is rewritten to the
 * simulator's host (keeping its path), so no request can leave 127.0.0.1; spot uses `public`,
 * `private` (both /api/v3) and `v1`. loadMarkets makes exactly one request (GET exchangeInfo).
 */
export function createCcxtForSimulator(
  url: string,
  apiKey?: string,
  secret?: string,
  extra: Record<string, unknown> = {},
): InstanceType<typeof ccxt.binance> {
  const exchange = new ccxt.binance({
    apiKey,
    secret,
    enableRateLimit: false,
    options: {
      defaultType: 'spot',
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
    },
    ...extra,
  });
  const base = url.replace(/\/+$/, '');
  const api = exchange.urls['api'] as Record<string, string>;
  for (const [key, value] of Object.entries(api)) {
    api[key] = base + new URL(value).pathname;
  }
  return exchange;
}

/**
 * A real ccxt pro (websocket) binance client pointed at the simulator: REST as above, and the
 * WebSocket API (where spot's user-data stream lives: watchOrders, watchMyTrades, watchBalance)
 * at the simulator's ws://.../ws-api/v3.
 */
export function createCcxtProForSimulator(
  url: string,
  apiKey?: string,
  secret?: string,
  extra: Record<string, unknown> = {},
): InstanceType<typeof ccxt.pro.binance> {
  const exchange = new ccxt.pro.binance({
    apiKey,
    secret,
    enableRateLimit: false,
    options: { defaultType: 'spot', fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
    // ccxt opens a plain ws:// socket only through an http agent of its own
    httpAgent: new Agent(),
    ...extra,
  });
  const base = url.replace(/\/+$/, '');
  const api = exchange.urls['api'] as Record<string, unknown>;
  for (const [key, value] of Object.entries(api)) {
    if (typeof value === 'string') api[key] = base + new URL(value).pathname;
  }
  const ws = api['ws'] as Record<string, unknown>;
  ws['ws-api'] = { ...(ws['ws-api'] as Record<string, string>), spot: base.replace(/^http/, 'ws') + '/ws-api/v3' };
  return exchange;
}
