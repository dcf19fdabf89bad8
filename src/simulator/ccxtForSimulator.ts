import ccxt from 'ccxt';

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
