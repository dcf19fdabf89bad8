import { doNothing, type AiCommand } from '../domain/commands';
import type { Trade } from '../domain/trade';
import type { DecisionContext } from '../domain/validation';
import type { MarketSnapshot } from './marketSnapshot';
import type { Proposal, Strategist, StrategistRequest } from './strategist';

/**
 * The rules strategist: trend following with ATR stops, on the primary (first) timeframe.
 * Deterministic, so it is the baseline LLM strategies are measured against, and the strategist when
 * no API key is set.
 *
 * No trade:  uptrend (EMA20 > EMA50, last close above EMA20) and RSI14 below 70 (not chasing an
 *            overbought move) -> PLAN_TRADE LONG with a limit entry `entryAtr` x ATR below the last
 *            price, stop `stopAtr` x ATR below the entry, targets at `targetR` and `targetR` + 1
 *            times the risk (targetR is at least the configured minimum reward:risk), sized so that
 *            a stop-out loses `riskPercent`% of equity, capped at the configured maximum.
 * PENDING:   cancel the entry when the trend has flipped (EMA20 < EMA50), the market has run more
 *            than the allowed entry distance away from it, or it has rested longer than
 *            `maxPendingMs`; otherwise wait.
 * ACTIVE:    trail the stop to `trailAtr` x ATR below the last price, only upwards and only by at
 *            least `minTrailStepAtr` x ATR (no churn on every cycle); targets stay as they are.
 * Spot only: never SHORT. Anything else (no indicators yet, trade limit reached): DO_NOTHING.
 */

export interface RulesParameters {
  entryAtr: number;
  stopAtr: number;
  targetR: number;
  riskPercent: number;
  maxPendingMs: number;
  trailAtr: number;
  minTrailStepAtr: number;
  rsiOverbought: number;
}

export const DEFAULT_RULES: RulesParameters = {
  entryAtr: 0.25,
  stopAtr: 2,
  targetR: 2,
  riskPercent: 0.5,
  maxPendingMs: 4 * 3_600_000,
  trailAtr: 2.5,
  minTrailStepAtr: 0.25,
  rsiOverbought: 70,
};

export class RulesStrategist implements Strategist {
  readonly kind = 'rules' as const;
  readonly description: string;

  constructor(readonly parameters: RulesParameters = DEFAULT_RULES) {
    this.description = 'rules: EMA20/50 trend following with ATR stops';
  }

  async propose(request: StrategistRequest): Promise<Proposal> {
    return { ok: true, source: 'rules', command: rulesCommand(request, this.parameters) };
  }
}

/** The rules as a pure function of the request. */
export function rulesCommand(request: StrategistRequest, p: RulesParameters = DEFAULT_RULES): AiCommand {
  const { snapshot, context } = request;
  const primary = snapshot.timeframes[0];
  if (!primary) return doNothing('rules: no market data');
  const { ema20, ema50, atr14, rsi14 } = primary.indicators;
  if (ema20 === null || ema50 === null || atr14 === null || rsi14 === null) {
    return doNothing(`rules: not enough ${primary.timeframe} history for EMA50/ATR14/RSI14 yet`);
  }
  if (!(atr14 > 0)) return doNothing('rules: ATR is zero (no price movement), no stop distance to work with');
  const trade = request.trade;
  const indicators = { ema20, ema50, atr: atr14, rsi: rsi14, close: primary.lastClose };
  if (trade?.status === 'PENDING') return pendingCommand(trade, snapshot, context, indicators, p);
  if (trade?.status === 'ACTIVE') return activeCommand(trade, snapshot.last, indicators, p);
  return entryCommand(request.symbol, snapshot.last, context, indicators, p);
}

interface Indicators {
  ema20: number;
  ema50: number;
  atr: number;
  rsi: number;
  close: number;
}

function entryCommand(symbol: string, last: number, ctx: DecisionContext, ind: Indicators, p: RulesParameters): AiCommand {
  if (ctx.openTradesCount >= ctx.risk.max_open_trades) {
    return doNothing(`rules: ${ctx.openTradesCount} trades open, the limit is ${ctx.risk.max_open_trades}`);
  }
  if (!(ind.ema20 > ind.ema50 && ind.close > ind.ema20)) {
    return doNothing(`rules: no uptrend (EMA20 ${r(ind.ema20)}, EMA50 ${r(ind.ema50)}, close ${r(ind.close)})`);
  }
  if (ind.rsi >= p.rsiOverbought) return doNothing(`rules: uptrend but RSI ${ind.rsi.toFixed(1)} is overbought`);

  // keep a margin inside the allowed entry distance so tick rounding cannot push it outside
  const lowestEntry = last * (1 - (0.9 * ctx.risk.max_entry_distance_percent) / 100);
  const entry = roundUp(Math.max(last - p.entryAtr * ind.atr, lowestEntry));
  const stop = roundDown(entry - p.stopAtr * ind.atr);
  const risk = entry - stop;
  if (!(stop > 0 && risk > entry * 1e-4)) return doNothing('rules: stop distance too small to place');
  const rMultiple = Math.max(p.targetR, ctx.risk.min_reward_risk);
  const targets = [roundUp(entry + rMultiple * risk), roundUp(entry + (rMultiple + 1) * risk)];
  const size = Math.floor(Math.min(ctx.risk.max_position_size_percent, p.riskPercent / (risk / entry)) * 10) / 10;
  if (!(size > 0)) return doNothing('rules: position size rounds to zero');
  return {
    action: 'PLAN_TRADE',
    trade_setup: {
      symbol,
      direction: 'LONG',
      entry_price: entry,
      stop_loss_price: stop,
      take_profit_prices: targets,
      position_size_percent: size,
    },
    reasoning:
      `rules: uptrend (EMA20 ${r(ind.ema20)} > EMA50 ${r(ind.ema50)}, close ${r(ind.close)}), RSI ${ind.rsi.toFixed(1)}; ` +
      `entry ${p.entryAtr} ATR below last, stop ${p.stopAtr} ATR (ATR ${r(ind.atr)}), targets ${rMultiple}R and ${rMultiple + 1}R`,
  };
}

function pendingCommand(trade: Trade, snapshot: MarketSnapshot, ctx: DecisionContext, ind: Indicators, p: RulesParameters): AiCommand {
  const cancel = (why: string): AiCommand => ({ action: 'CANCEL_ORDER', order_id: trade.id, reasoning: `rules: ${why}` });
  if (ind.ema20 < ind.ema50) return cancel(`trend flipped (EMA20 ${r(ind.ema20)} < EMA50 ${r(ind.ema50)})`);
  const distance = (Math.abs(snapshot.last - trade.entryPrice) / snapshot.last) * 100;
  if (distance > ctx.risk.max_entry_distance_percent) {
    return cancel(`the market ran ${distance.toFixed(2)}% away from the entry ${trade.entryPrice}`);
  }
  const age = snapshot.at - trade.createdAt;
  if (age > p.maxPendingMs) return cancel(`entry unfilled for ${Math.round(age / 60_000)} minutes, setup is stale`);
  return doNothing(`rules: entry ${trade.entryPrice} still valid, waiting for a fill`);
}

function activeCommand(trade: Trade, last: number, ind: Indicators, p: RulesParameters): AiCommand {
  if (trade.direction !== 'LONG') return doNothing('rules: only LONG trades are managed on spot');
  const trail = roundDown(last - p.trailAtr * ind.atr);
  if (trail >= trade.stopLossPrice + p.minTrailStepAtr * ind.atr && trail < last) {
    return {
      action: 'ADJUST_TRADE',
      order_id: trade.id,
      new_stop_loss_price: trail,
      reasoning: `rules: trail the stop from ${trade.stopLossPrice} to ${trail} (${p.trailAtr} ATR below ${r(last)})`,
    };
  }
  return doNothing(`rules: stop ${trade.stopLossPrice} stays (trail level ${trail})`);
}

/** price grid used by the rules: 6 significant digits, the OMS then rounds to the exchange tick */
function decimalsFor(x: number): number {
  return Math.max(0, 6 - (Math.floor(Math.log10(Math.abs(x))) + 1));
}

function roundDown(x: number): number {
  const f = 10 ** decimalsFor(x);
  return Math.floor(x * f) / f;
}

function roundUp(x: number): number {
  const f = 10 ** decimalsFor(x);
  return Math.ceil(x * f) / f;
}

function r(x: number): number {
  return Number(x.toPrecision(6));
}
