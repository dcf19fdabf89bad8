import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RiskConfig } from '../../src/config/schema';
import type { AiCommand, CommandAction } from '../../src/domain/commands';
import type { TradeEvent } from '../../src/domain/events';
import type { MarketLimits } from '../../src/domain/market';
import { createPendingTrade, tradeIdFor } from '../../src/domain/newTrade';
import { applyTradeEvent } from '../../src/domain/stateMachine';
import { isOpen, type Trade } from '../../src/domain/trade';
import { validateCommand, type DecisionContext } from '../../src/domain/validation';
import { readCandleFile, sharedCandlesDir } from '../../src/marketdata/candleFile';
import { IndicatorTracker, type MarketSnapshot } from '../../src/strategist/marketSnapshot';
import { rulesCommand, RulesStrategist } from '../../src/strategist/rulesStrategist';

/**
 * The rules strategist over the whole BTCUSDT 15m history (21,914 real candles), one decision per
 * closed candle. The trade state is driven forward with the domain's own functions: a PENDING
 * entry fills when a later candle trades through it, an ACTIVE trade closes when a candle reaches its
 * stop (checked first: the conservative assumption) or its targets. Every command is validated in
 * the exact state it was emitted in.
 */

const SYMBOL = 'BTCUSDT';
const FIFTEEN_MIN = 900_000;
const candles = readCandleFile(join(sharedCandlesDir(), `${SYMBOL}-15m.csv`));
const risk = RiskConfig.parse({});
const limits: MarketLimits = { symbol: SYMBOL, tickSize: 0.01, amountStep: 0.00001, minAmount: 0.00001, minNotional: 10 };
const EQUITY = 10_000;

/** a TradeEvent without the ids the replay fills in */
type EventBody = TradeEvent extends infer E ? (E extends TradeEvent ? Omit<E, 'eventId' | 'tradeId'> : never) : never;

interface Outcome {
  counts: Record<CommandAction, number>;
  invalid: Array<{ at: string; command: AiCommand; code: string; reason: string }>;
  fills: number;
  stops: number;
  targets: number;
}

function replay(): Outcome {
  const counts: Record<CommandAction, number> = { PLAN_TRADE: 0, CANCEL_ORDER: 0, ADJUST_TRADE: 0, DO_NOTHING: 0 };
  const invalid: Outcome['invalid'] = [];
  let fills = 0;
  let stops = 0;
  let targets = 0;
  const tracker = new IndicatorTracker();
  let trade: Trade | null = null;
  let seq = 0;
  let eventSeq = 0;
  const apply = (event: EventBody): void => {
    const t: Trade = trade!;
    const result = applyTradeEvent(t, { ...event, eventId: `e${++eventSeq}`, tradeId: t.id } as TradeEvent);
    assert.equal(result.ignored, undefined, `event ${event.type} on ${t.id} was ignored: ${result.ignored}`);
    trade = isOpen(result.trade) ? result.trade : null;
  };

  for (const candle of candles) {
    const closeTime = candle.timestamp + FIFTEEN_MIN;
    // 1. what this candle's prices did to the trade decided on earlier candles
    if (trade?.status === 'PENDING' && candle.low <= trade.entryPrice) {
      fills++;
      apply({ type: 'ENTRY_FILLED', price: trade.entryPrice, quantity: trade.quantity, fee: 0, at: closeTime });
    }
    if (trade?.status === 'ACTIVE') {
      const open = trade.entryFills.reduce((s, f) => s + f.quantity, 0) - trade.exitFills.reduce((s, f) => s + f.quantity, 0);
      if (candle.low <= trade.stopLossPrice) {
        stops++;
        apply({ type: 'STOP_FILLED', price: trade.stopLossPrice, quantity: open, fee: 0, at: closeTime });
      } else if (candle.high >= trade.takeProfitPrices[0]!) {
        // all targets this candle reached; the last one takes whatever is left
        const reached = trade.takeProfitPrices.filter((t) => candle.high >= t).length;
        const share = trade.quantity / trade.takeProfitPrices.length;
        const alreadyHit = trade.exitFills.length;
        for (let i = alreadyHit; i < reached && trade; i++) {
          targets++;
          const last = i === trade.takeProfitPrices.length - 1;
          const qty = last ? open - share * (i - alreadyHit) : share;
          apply({ type: 'TARGET_FILLED', targetIndex: i, price: trade.takeProfitPrices[i]!, quantity: qty, fee: 0, at: closeTime });
        }
      }
    }

    // 2. decide at the candle's close, on what was known then
    const indicators = tracker.add(candle);
    const snapshot: MarketSnapshot = {
      symbol: SYMBOL,
      at: closeTime,
      last: candle.close,
      bid: null,
      ask: null,
      spread: null,
      timeframes: [{ timeframe: '15m', lastClose: candle.close, history: tracker.count, candles: [], indicators }],
    };
    const context: DecisionContext = {
      symbol: SYMBOL,
      trade,
      lastPrice: candle.close,
      risk,
      marketType: 'spot',
      openTradesCount: trade ? 1 : 0,
    };
    const command = rulesCommand({ symbol: SYMBOL, trade, snapshot, context });
    counts[command.action]++;
    const verdict = validateCommand(command, context);
    if (!verdict.ok) {
      invalid.push({ at: new Date(closeTime).toISOString(), command, code: verdict.code, reason: verdict.reason });
      continue;
    }

    // 3. carry the accepted command out, as the executor would
    const accepted = verdict.command;
    if (accepted.action === 'PLAN_TRADE') {
      const setup = accepted.trade_setup;
      const quantity = (EQUITY * setup.position_size_percent) / 100 / setup.entry_price;
      trade = createPendingTrade({ id: tradeIdFor(SYMBOL, ++seq), command: accepted, quantity, limits, now: closeTime });
    } else if (accepted.action === 'CANCEL_ORDER') {
      apply({ type: 'ENTRY_CANCELLED', reason: accepted.reasoning, at: closeTime });
    } else if (accepted.action === 'ADJUST_TRADE') {
      const t: Trade = trade!;
      apply({
        type: 'PROTECTION_ADJUSTED',
        stopLossPrice: accepted.new_stop_loss_price,
        takeProfitPrices: accepted.new_take_profit_prices ?? t.takeProfitPrices,
        orders: [],
        at: closeTime,
      });
    }
  }
  return { counts, invalid, fills, stops, targets };
}

describe('rules strategist over BTCUSDT 15m, Dec 2020 - Jul 2021', () => {
  const outcome = replay();

  it('emits only commands that pass validation in the state they were emitted in', () => {
    assert.deepEqual(outcome.invalid.slice(0, 5), [], `${outcome.invalid.length} invalid commands`);
  });

  it('trades: plans, cancels stale entries and trails stops, not only DO_NOTHING', () => {
    const { counts } = outcome;
    assert.equal(
      counts.PLAN_TRADE + counts.CANCEL_ORDER + counts.ADJUST_TRADE + counts.DO_NOTHING,
      candles.length,
      'one command per candle',
    );
    assert.ok(counts.PLAN_TRADE >= 100, `PLAN_TRADE ${counts.PLAN_TRADE}`);
    assert.ok(counts.CANCEL_ORDER >= 20, `CANCEL_ORDER ${counts.CANCEL_ORDER}`);
    assert.ok(counts.ADJUST_TRADE >= 100, `ADJUST_TRADE ${counts.ADJUST_TRADE}`);
    assert.ok(outcome.fills >= 50 && outcome.stops >= 10 && outcome.targets >= 10, JSON.stringify(outcome));
  });

  it('never plans a SHORT and never plans while a trade is open (the strategist class, same rules)', async () => {
    const strategist = new RulesStrategist();
    const tracker = new IndicatorTracker();
    for (const c of candles.slice(0, 3_000)) tracker.add(c);
    const last = candles[2_999]!;
    const snapshot: MarketSnapshot = {
      symbol: SYMBOL,
      at: last.timestamp + FIFTEEN_MIN,
      last: last.close,
      bid: null,
      ask: null,
      spread: null,
      timeframes: [{ timeframe: '15m', lastClose: last.close, history: 3_000, candles: [], indicators: tracker.values() }],
    };
    const context: DecisionContext = { symbol: SYMBOL, trade: null, lastPrice: last.close, risk, marketType: 'spot', openTradesCount: risk.max_open_trades };
    const proposal = await strategist.propose({ symbol: SYMBOL, trade: null, snapshot, context });
    assert.ok(proposal.ok);
    assert.equal(proposal.command.action, 'DO_NOTHING', 'max open trades reached elsewhere');
    assert.match((proposal.command as { reasoning: string }).reasoning, /limit is 3/);
  });
});
