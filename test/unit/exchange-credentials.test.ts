import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ccxtOptionsFromConfig, paperCredentials } from '../../src/exchange/ccxtClient';
import { ExchangeConfig } from '../../src/config/schema';

describe('exchange credentials by mode', () => {
  const realKeys = { BINANCE_API_KEY: 'real-live-key-123456', BINANCE_API_SECRET: 'real-live-secret-abcdef' };

  it('paper mode signs with the paper account and never carries the real Binance keys', () => {
    const opts = ccxtOptionsFromConfig(ExchangeConfig.parse({ mode: 'paper' }), realKeys);
    assert.equal(opts.mode, 'paper');
    assert.deepEqual(opts.credentials, paperCredentials({}));
    assert.doesNotMatch(JSON.stringify(opts), /real-live/);
  });

  it('testnet and live modes take the keys from the environment', () => {
    for (const mode of ['testnet', 'live'] as const) {
      const opts = ccxtOptionsFromConfig(ExchangeConfig.parse({ mode }), realKeys);
      assert.deepEqual(opts.credentials, { apiKey: realKeys.BINANCE_API_KEY, secret: realKeys.BINANCE_API_SECRET });
      assert.equal(opts.simulatorUrl, undefined);
    }
  });
});
