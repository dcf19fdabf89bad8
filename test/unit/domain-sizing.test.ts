import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MarketLimits } from '../../src/domain/market';
import { createPendingTrade, tradeIdFor } from '../../src/domain/newTrade';
import { exactDifference, exactProduct, exactSum, isMultipleOf, toDecimal, toNumber } from '../../src/domain/precision';
import { roundToStep, roundToTick, roundTradeLevels, sizePosition, splitQuantity } from '../../src/domain/sizing';
import type { PlanTradeCommand } from '../../src/domain/commands';

// Binance spot filters as exchangeInfo reports them (PRICE_FILTER tickSize, LOT_SIZE stepSize/minQty, NOTIONAL minNotional)
const BTCUSDT: MarketLimits = { symbol: 'BTCUSDT', tickSize: 0.01, amountStep: 0.00001, minAmount: 0.00001, minNotional: 5 };
const ETHUSDT: MarketLimits = { symbol: 'ETH/USDT', tickSize: 0.01, amountStep: 0.0001, minAmount: 0.0001, minNotional: 5 };

describe('precision', () => {
  it('reads a float as the decimal it prints as and back', () => {
    assert.deepEqual(toDecimal(0.00001), { units: 1n, scale: 5 });
    assert.deepEqual(toDecimal(1e-7), { units: 1n, scale: 7 });
    assert.deepEqual(toDecimal(65000.01), { units: 6500001n, scale: 2 });
    assert.deepEqual(toDecimal(2e21), { units: 2_000_000_000_000_000_000_000n, scale: 0 });
    assert.equal(toNumber({ units: -15n, scale: 4 }), -0.0015);
    assert.equal(Object.is(toNumber({ units: 0n, scale: 3 }), -0), false);
    assert.throws(() => toDecimal(Number.NaN), /not a finite number/);
  });

  it('adds, subtracts and multiplies without float drift', () => {
    assert.notEqual(0.1 + 0.2, 0.3); // the problem
    assert.equal(exactSum([0.1, 0.2]), 0.3);
    assert.equal(exactSum([0.00512, 0.00512, 0.00514]), 0.01538);
    assert.equal(exactDifference(0.01538, 0.00512), 0.01026);
    assert.equal(exactProduct(0.00003, 65000.01), 1.9500003);
    assert.equal(isMultipleOf(0.01538, 0.00001), true);
    assert.equal(isMultipleOf(0.015385, 0.00001), false);
  });
});

describe('roundToStep (amounts, always down)', () => {
  it('is exact where float division is not', () => {
    assert.equal(Math.floor(0.3 / 0.1) * 0.1, 0.2); // what a naive floor does
    assert.equal(roundToStep(0.3, 0.1), 0.3);
    assert.equal(roundToStep(0.00003, 0.00001), 0.00003);
    assert.equal(roundToStep(0.015384615384615385, 0.00001), 0.01538);
    assert.equal(roundToStep(1.23456789, 0.0001), 1.2345);
    assert.equal(roundToStep(0.000009, 0.00001), 0);
    assert.equal(roundToStep(12, 1), 12);
  });
});

describe('roundToTick', () => {
  it('rounds down, up and to the nearest tick on BTCUSDT (0.01)', () => {
    assert.equal(roundToTick(65000.004, 0.01, 'nearest'), 65000);
    assert.equal(roundToTick(65000.005, 0.01, 'nearest'), 65000.01);
    assert.equal(roundToTick(65000.019, 0.01, 'down'), 65000.01);
    assert.equal(roundToTick(65000.011, 0.01, 'up'), 65000.02);
    assert.equal(roundToTick(65000.01, 0.01, 'up'), 65000.01);
    assert.equal(roundToTick(0.29, 0.1, 'up'), 0.3);
    // 1.015 is stored as 1.01499999999999990230...; it is read as the 1.015 the strategist wrote
    assert.equal(roundToTick(1.015, 0.01, 'nearest'), 1.02);
  });

  it('handles ticks that are not powers of ten', () => {
    assert.equal(roundToTick(101.3, 0.25, 'nearest'), 101.25);
    assert.equal(roundToTick(101.38, 0.25, 'nearest'), 101.5);
    assert.equal(roundToTick(101.3, 0.5, 'up'), 101.5);
  });

  it('refuses a tick that is not positive', () => {
    assert.throws(() => roundToTick(100, 0, 'down'), /increment must be a positive number/);
  });
});

describe('roundTradeLevels', () => {
  it('LONG: entry nearest, stop down (away from entry), targets down (toward entry)', () => {
    assert.deepEqual(
      roundTradeLevels('LONG', { entryPrice: 65000.006, stopLossPrice: 63500.009, takeProfitPrices: [67000.009, 69000.001] }, 0.01),
      { entryPrice: 65000.01, stopLossPrice: 63500, takeProfitPrices: [67000, 69000] },
    );
  });
  it('SHORT: entry nearest, stop up (away from entry), targets up (toward entry)', () => {
    assert.deepEqual(
      roundTradeLevels('SHORT', { entryPrice: 3000.004, stopLossPrice: 3100.001, takeProfitPrices: [2900.001, 2800.009] }, 0.01),
      { entryPrice: 3000, stopLossPrice: 3100.01, takeProfitPrices: [2900.01, 2800.01] },
    );
  });
});

describe('sizePosition', () => {
  it('BTCUSDT: 10% of 10000 USDT at 65000 is 0.01538 BTC (rounded down to the 0.00001 step)', () => {
    // 10000 * 10 / 100 / 65000 = 0.0153846...
    assert.deepEqual(sizePosition({ equity: 10000, positionSizePercent: 10, entryPrice: 65000, limits: BTCUSDT }), {
      ok: true,
      quantity: 0.01538,
      notional: 999.7,
      entryPrice: 65000,
    });
  });

  it('ETHUSDT: 7.5% of 12345.67 USDT at 1834.27 is 0.5047 ETH (0.0001 step)', () => {
    // 12345.67 * 0.075 = 925.92525; / 1834.27 = 0.50479...; notional 0.5047 * 1834.27 = 925.756069
    assert.deepEqual(sizePosition({ equity: 12345.67, positionSizePercent: 7.5, entryPrice: 1834.27, limits: ETHUSDT }), {
      ok: true,
      quantity: 0.5047,
      notional: 925.756069,
      entryPrice: 1834.27,
    });
  });

  it('lands exactly on a step when the budget divides evenly (no one-step-short floor)', () => {
    // 30% of 100 at 100 = 0.3 exactly; the float floor of 0.3 / 0.0001 is 2999 steps (0.2999)
    assert.equal(Math.floor((100 * 30) / 100 / 100 / 0.0001), 2999);
    const r = sizePosition({ equity: 30000, positionSizePercent: 0.1, entryPrice: 10000, limits: { ...BTCUSDT, minNotional: 0 } });
    assert.equal(r.ok && r.quantity, 0.003);
    const s = sizePosition({ equity: 100, positionSizePercent: 30, entryPrice: 100, limits: { ...ETHUSDT, symbol: 'XUSDT', minNotional: 0 } });
    assert.equal(s.ok && s.quantity, 0.3);
  });

  it('sizes at the entry rounded to the nearest tick', () => {
    const r = sizePosition({ equity: 10000, positionSizePercent: 10, entryPrice: 64999.996, limits: BTCUSDT });
    assert.equal(r.ok && r.entryPrice, 65000);
    assert.equal(r.ok && r.notional, 999.7);
  });

  it('refuses an order below the minimum notional (5 USDT)', () => {
    // 10% of 30 = 3 USDT -> 0.00004 BTC at 65000 = 2.6 USDT
    const r = sizePosition({ equity: 30, positionSizePercent: 10, entryPrice: 65000, limits: BTCUSDT });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'BELOW_MIN_NOTIONAL');
    assert.match(!r.ok ? r.reason : '', /worth 2\.6 \(0\.00004 BTC\).*minimum order value 5/);
  });

  it('accepts an order exactly at the minimum notional', () => {
    // 50% of 10 = 5 USDT at 50000 = 0.0001 BTC = exactly 5 USDT
    const r = sizePosition({ equity: 10, positionSizePercent: 50, entryPrice: 50000, limits: BTCUSDT });
    assert.deepEqual(r, { ok: true, quantity: 0.0001, notional: 5, entryPrice: 50000 });
  });

  it('refuses a quantity that rounds to zero or below the minimum amount', () => {
    const zero = sizePosition({ equity: 1, positionSizePercent: 1, entryPrice: 65000, limits: BTCUSDT });
    assert.equal(!zero.ok && zero.code, 'BELOW_MIN_AMOUNT');
    assert.match(!zero.ok ? zero.reason : '', /buys 0 BTC.*minimum amount 0\.00001/);
    const small = sizePosition({ equity: 1000, positionSizePercent: 1, entryPrice: 2000, limits: { ...ETHUSDT, minAmount: 0.01 } });
    // 10 USDT / 2000 = 0.005 ETH < 0.01
    assert.equal(!small.ok && small.code, 'BELOW_MIN_AMOUNT');
    assert.match(!small.ok ? small.reason : '', /buys 0\.005 ETH/);
  });

  it('refuses input that cannot be sized, naming the field', () => {
    const cases: Array<[Partial<Parameters<typeof sizePosition>[0]>, RegExp]> = [
      [{ equity: 0 }, /equity must be a positive number, got 0/],
      [{ equity: Number.NaN }, /equity must be a positive number/],
      [{ positionSizePercent: -5 }, /position size percent must be a positive number, got -5/],
      [{ positionSizePercent: 150 }, /150% of equity is more than the whole account/],
      [{ entryPrice: 0 }, /entry price must be a positive number/],
      [{ limits: { ...BTCUSDT, amountStep: 0 } }, /BTCUSDT amount step must be a positive number/],
      [{ limits: { ...BTCUSDT, tickSize: -0.01 } }, /BTCUSDT tick size must be a positive number/],
      [{ limits: { ...BTCUSDT, minNotional: Number.NaN } }, /minimum order value must be zero or more/],
    ];
    for (const [override, reason] of cases) {
      const r = sizePosition({ equity: 10000, positionSizePercent: 10, entryPrice: 65000, limits: BTCUSDT, ...override });
      assert.equal(!r.ok && r.code, 'INVALID_INPUT', String(reason));
      assert.match(!r.ok ? r.reason : '', reason);
    }
  });
});

describe('splitQuantity', () => {
  it('splits into equal step multiples with the remainder on the last part, summing exactly', () => {
    const parts = splitQuantity(0.01538, 3, 0.00001);
    assert.deepEqual(parts, [0.00512, 0.00512, 0.00514]);
    assert.equal(exactSum(parts), 0.01538);
    for (const p of parts) assert.ok(isMultipleOf(p, 0.00001));
    assert.deepEqual(splitQuantity(0.5047, 2, 0.0001), [0.2523, 0.2524]);
    assert.deepEqual(splitQuantity(0.3, 3, 0.1), [0.1, 0.1, 0.1]);
    assert.deepEqual(splitQuantity(0.01538, 1, 0.00001), [0.01538]);
  });

  it('gives zero parts when there are fewer steps than targets', () => {
    assert.deepEqual(splitQuantity(0.00002, 3, 0.00001), [0, 0, 0.00002]);
  });

  it('refuses nonsense', () => {
    assert.throws(() => splitQuantity(1, 0, 0.1), /cannot split into 0 parts/);
    assert.throws(() => splitQuantity(-1, 2, 0.1), /cannot split quantity -1/);
    assert.throws(() => splitQuantity(1, 2, 0), /amount step must be positive/);
  });
});

describe('tradeIdFor', () => {
  it('derives the id from the symbol and the sequence number', () => {
    assert.equal(tradeIdFor('BTCUSDT', 42), 'T-BTCUSDT-000042');
    assert.equal(tradeIdFor('eth/usdt', 7), 'T-ETHUSDT-000007');
    assert.equal(tradeIdFor('BTCUSDT', 1234567), 'T-BTCUSDT-1234567');
    assert.equal(tradeIdFor('BTCUSDT', 42), tradeIdFor('BTC/USDT', 42));
  });
  it('refuses a sequence that is not a whole number', () => {
    assert.throws(() => tradeIdFor('BTCUSDT', -1), /whole number >= 0, got -1/);
    assert.throws(() => tradeIdFor('BTCUSDT', 1.5), /whole number >= 0, got 1.5/);
  });
});

describe('createPendingTrade', () => {
  const plan = (overrides: Partial<PlanTradeCommand['trade_setup']> = {}): PlanTradeCommand => ({
    action: 'PLAN_TRADE',
    trade_setup: {
      symbol: 'BTC/USDT',
      direction: 'LONG',
      entry_price: 65000.004,
      stop_loss_price: 63500.009,
      take_profit_prices: [67000.009, 69000],
      position_size_percent: 10,
      ...overrides,
    },
  });

  it('builds a PENDING trade on the tick and step grid, with no fills and no orders', () => {
    const trade = createPendingTrade({ id: 'T-BTCUSDT-000001', command: plan(), quantity: 0.01538, limits: BTCUSDT, now: 1_700_000_000_000 });
    assert.deepEqual(trade, {
      id: 'T-BTCUSDT-000001',
      symbol: 'BTCUSDT',
      direction: 'LONG',
      status: 'PENDING',
      entryPrice: 65000,
      stopLossPrice: 63500,
      takeProfitPrices: [67000, 69000],
      quantity: 0.01538,
      positionSizePercent: 10,
      entryFills: [],
      exitFills: [],
      orders: [],
      createdAt: 1_700_000_000_000,
      appliedEventIds: [],
    });
  });

  it('puts the quantity on the step grid (down)', () => {
    const trade = createPendingTrade({ id: 'T', command: plan(), quantity: 0.015389, limits: BTCUSDT, now: 0 });
    assert.equal(trade.quantity, 0.01538);
  });

  it('refuses a plan that collapses on the tick grid, or a zero quantity, or another market', () => {
    assert.throws(
      () => createPendingTrade({ id: 'T', command: plan({ entry_price: 65000.004, stop_loss_price: 65000.001 }), quantity: 0.01, limits: BTCUSDT, now: 0 }),
      /stop \(65000\) is no longer below the entry \(65000\)/,
    );
    assert.throws(
      () => createPendingTrade({ id: 'T', command: plan({ take_profit_prices: [65000.009] }), quantity: 0.01, limits: BTCUSDT, now: 0 }),
      /target 1 \(65000\) is no longer beyond the entry/,
    );
    assert.throws(
      () => createPendingTrade({ id: 'T', command: plan(), quantity: 0.000001, limits: BTCUSDT, now: 0 }),
      /quantity 0\.000001 is not a positive amount on the 0\.00001 step grid/,
    );
    assert.throws(
      () => createPendingTrade({ id: 'T', command: plan(), quantity: 0.01, limits: ETHUSDT, now: 0 }),
      /plan is for BTCUSDT but the market limits are for ETH\/USDT/,
    );
  });
});
