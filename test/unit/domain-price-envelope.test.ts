import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RiskConfig } from '../../src/config/schema';
import { AiCommand, type AiCommand as Command } from '../../src/domain/commands';
import type { PriceRules } from '../../src/domain/priceEnvelope';
import type { Trade } from '../../src/domain/trade';
import { validateCommand, type DecisionContext, type RejectionCode, type Verdict } from '../../src/domain/validation';

/** Binance's published BTCUSDT rules: tick 0.01, price 0.01..1,000,000, band 0.2x..5x */
const BINANCE: PriceRules = {
  tickSize: 0.01,
  minPrice: 0.01,
  maxPrice: 1_000_000,
  percentPrice: { bidMultiplierUp: 5, bidMultiplierDown: 0.2, askMultiplierUp: 5, askMultiplierDown: 0.2 },
};
const risk = RiskConfig.parse({}); // stops within 10%, targets within 20% of the last price
const wide = RiskConfig.parse({ max_stop_distance_percent: 95, max_target_distance_percent: 1000 });

function ctx(o: Partial<DecisionContext> = {}): DecisionContext {
  return { symbol: 'BTCUSDT', trade: null, lastPrice: 65000, risk, marketType: 'spot', openTradesCount: 0, priceRules: BINANCE, ...o };
}

/** built without the schema: the OMS must hold even for a command that never went through zod */
function plan(stop: number, targets: number[], entry = 65000): Command {
  return {
    action: 'PLAN_TRADE',
    trade_setup: { symbol: 'BTCUSDT', direction: 'LONG', entry_price: entry, stop_loss_price: stop, take_profit_prices: targets, position_size_percent: 5 },
    reasoning: null,
  };
}

const active: Trade = {
  id: 'T-BTCUSDT-000042', symbol: 'BTCUSDT', direction: 'LONG', status: 'ACTIVE', entryPrice: 65000, stopLossPrice: 63500,
  takeProfitPrices: [67500], quantity: 0.01, positionSizePercent: 5, entryFills: [], exitFills: [], orders: [], createdAt: 0,
};
const adjust = (stop: number, targets?: number[]): Command => ({
  action: 'ADJUST_TRADE', order_id: active.id, new_stop_loss_price: stop, new_take_profit_prices: targets ?? null, reasoning: 'trail',
});

function rejected(v: Verdict, code: RejectionCode, reason: RegExp): void {
  assert.equal(v.ok, false, `expected ${code}, got an accepted command`);
  if (v.ok) return;
  assert.equal(v.code, code, v.reason);
  assert.match(v.reason, reason);
}

describe('price envelope: every price of a command', () => {
  it('a sound plan and a sound adjustment pass every rule', () => {
    assert.equal(validateCommand(plan(63500, [67500, 69000]), ctx()).ok, true);
    assert.equal(validateCommand(adjust(64000, [70000]), ctx({ trade: active })).ok, true);
  });

  it('a take-profit of 1e308: over the exchange maximum (checked first), and over the configured distance', () => {
    rejected(validateCommand(plan(63500, [67500, 1e308]), ctx({ priceRules: undefined })), 'TARGET_TOO_FAR', /target 2 1e\+308 is 1\.54e\+305% above the last price 65000; a take-profit must be within 20% of the market/);
    rejected(
      validateCommand(plan(63500, [67500, 1e308]), ctx()),
      'PRICE_FILTER',
      /target 2 1e\+308 is above the exchange's maximum price 1000000 for BTCUSDT \(PRICE_FILTER\)/,
    );
    rejected(validateCommand(adjust(64000, [1e308]), ctx({ trade: active, risk: wide })), 'PRICE_FILTER', /new target 1 1e\+308 is above the exchange's maximum price 1000000/);
  });

  it('the percent-price band around the last price (PERCENT_PRICE_BY_SIDE), per side', () => {
    // a SELL take-profit 6x the market: inside a 1000% distance, outside the exchange's 5x band
    rejected(
      validateCommand(plan(63500, [67500, 390_000]), ctx({ risk: wide })),
      'PERCENT_PRICE',
      /target 2 390000 is more than 5x the last price 65000 of BTCUSDT \(PERCENT_PRICE: a SELL must be within 0\.2x to 5x/,
    );
    // a tight band (some venues use 1.1 / 0.9) catches a stop 15% under the market
    const tight: PriceRules = { ...BINANCE, percentPrice: { bidMultiplierUp: 1.1, bidMultiplierDown: 0.9, askMultiplierUp: 1.2, askMultiplierDown: 0.9 } };
    rejected(
      validateCommand(plan(55000, [67500]), ctx({ risk: wide, priceRules: tight })),
      'PERCENT_PRICE',
      /stop 55000 is less than 0\.9x the last price 65000 of BTCUSDT \(PERCENT_PRICE: a SELL must be within 0\.9x to 1\.2x/,
    );
    // the same band on the other side: a BUY entry above 1.1x (with a wide entry distance)
    const entryWide = RiskConfig.parse({ max_entry_distance_percent: 50, max_stop_distance_percent: 95, max_target_distance_percent: 1000 });
    rejected(validateCommand(plan(70000, [80000], 73000), ctx({ risk: entryWide, priceRules: tight })), 'PERCENT_PRICE', /entry 73000 is more than 1\.1x .* a BUY must be within 0\.9x to 1\.1x/);
  });

  it('the price filter: minimum price and prices that round to no tick', () => {
    const penny: PriceRules = { tickSize: 0.01, minPrice: 0.05, maxPrice: 1000, percentPrice: undefined };
    const doge = ctx({ symbol: 'DOGEUSDT', lastPrice: 0.07, risk: wide, priceRules: penny });
    const dogePlan = (stop: number) => ({ ...plan(stop, [0.09], 0.07), trade_setup: { ...(plan(stop, [0.09], 0.07) as any).trade_setup, symbol: 'DOGEUSDT' } }) as Command;
    rejected(validateCommand(dogePlan(0.04), doge), 'PRICE_FILTER', /stop 0\.04 is below the exchange's minimum price 0\.05 for DOGEUSDT/);
    const noMin: PriceRules = { tickSize: 0.01, minPrice: 0, maxPrice: 0 };
    rejected(validateCommand(dogePlan(0.004), { ...doge, priceRules: noMin }), 'PRICE_FILTER', /stop 0\.004 is less than half the tick size 0\.01 of DOGEUSDT and rounds to 0/);
  });

  it('stops and targets within the configured distance of the market, inclusive to the cent', () => {
    // 10% under 65000 is 58500 exactly; one cent further is refused
    assert.equal(validateCommand(plan(58500, [78000]), ctx()).ok, true, 'stop at exactly 10%, target at exactly 20%');
    rejected(validateCommand(plan(58499.99, [78000]), ctx()), 'STOP_TOO_FAR', /stop 58499\.99 is 10\.0000\d*% below the last price 65000; a stop must be within 10% of the market \(risk\.max_stop_distance_percent\)/);
    rejected(validateCommand(plan(58500, [78000.01]), ctx()), 'TARGET_TOO_FAR', /target 1 78000\.01 is .* within 20% of the market \(risk\.max_target_distance_percent\)/);
    rejected(validateCommand(adjust(50000), ctx({ trade: active })), 'STOP_TOO_FAR', /new stop 50000 is 23\.08% below the last price 65000/);
  });

  it('NaN, Infinity and zero are refused as not finite, before any comparison (which NaN would pass)', () => {
    rejected(validateCommand(plan(Number.NaN, [67500]), ctx()), 'PRICE_NOT_FINITE', /^stop NaN is not a finite positive price$/);
    rejected(validateCommand(plan(63500, [67500, Number.POSITIVE_INFINITY]), ctx()), 'PRICE_NOT_FINITE', /target 2 Infinity/);
    rejected(validateCommand(plan(63500, [67500], Number.NaN), ctx()), 'PRICE_NOT_FINITE', /entry NaN/);
    rejected(validateCommand(adjust(64000, [0]), ctx({ trade: active })), 'PRICE_NOT_FINITE', /new target 1 0 is not a finite positive price/);
    rejected(validateCommand(adjust(Number.NaN), ctx({ trade: active })), 'PRICE_NOT_FINITE', /new stop NaN/);
    // and the schema the LLM's answer goes through refuses them too (JSON cannot even carry them)
    assert.equal(AiCommand.safeParse(plan(63500, [Number.POSITIVE_INFINITY])).success, false);
  });

  it('without the exchange rules (the strategist side), the configured distances still apply', () => {
    rejected(validateCommand(plan(63500, [67500, 1e308]), ctx({ priceRules: undefined })), 'TARGET_TOO_FAR', /target 2 1e\+308/);
    assert.equal(validateCommand(plan(63500, [67500, 1e308]), ctx({ priceRules: undefined, risk: wide })).ok, false, '1e308 is beyond 1000% too');
  });
});
