import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalSymbol, splitSymbol, unifiedSymbol } from '../../src/domain/symbols';

describe('symbols', () => {
  it('accepts both spellings and canonicalises to BTCUSDT', () => {
    assert.equal(canonicalSymbol('BTC/USDT'), 'BTCUSDT');
    assert.equal(canonicalSymbol('btcusdt'), 'BTCUSDT');
    assert.equal(canonicalSymbol(' ETH/USDT '), 'ETHUSDT');
  });
  it('converts to ccxt unified form', () => {
    assert.equal(unifiedSymbol('BTCUSDT'), 'BTC/USDT');
    assert.equal(unifiedSymbol('ETHBTC'), 'ETH/BTC');
    assert.deepEqual(splitSymbol('SOLFDUSD'), { base: 'SOL', quote: 'FDUSD' });
  });
  it('rejects what it cannot split, saying why', () => {
    assert.throws(() => canonicalSymbol('BTC'), /invalid symbol "BTC"/);
    assert.throws(() => canonicalSymbol('BTC/USDT/X'), /expected BASE\/QUOTE/);
    assert.throws(() => canonicalSymbol('ABCXYZ'), /unknown quote currency/);
    assert.throws(() => canonicalSymbol('USDT'), /invalid symbol/);
  });
});
