import type { RiskLimits } from './risk';
import type { AdjustTradeCommand, AiCommand, CancelOrderCommand, Direction, PlanTradeCommand } from './commands';
import { abs, compare, mul, sub, toDecimal, toNumber } from './precision';
import { checkPrices, commandPrices, firstNonFinite, type PriceRejectionCode, type PriceRules } from './priceEnvelope';
import { canonicalSymbol } from './symbols';
import { isOpen, type Trade } from './trade';

/**
 * Semantic validation of a schema-valid AiCommand against the symbol's current trade, the market
 * and the risk limits. Pure: the same command and context always give the same verdict. A rejected
 * command never reaches the exchange; its reason is recorded in the trade log and the workflow, so it
 * is written for a trader and names the numbers.
 *
 * Order of checks (the first failure is reported, so the reason points at the root problem):
 *   PLAN_TRADE:   symbol (WRONG_SYMBOL) -> state (TRADE_ALREADY_OPEN, MAX_OPEN_TRADES) ->
 *                 market (SHORT_ON_SPOT) -> price sides (STOP_WRONG_SIDE, TARGET_WRONG_SIDE) ->
 *                 target order (TARGETS_OUT_OF_ORDER) -> distance to market (ENTRY_TOO_FAR) ->
 *                 every price (priceEnvelope.ts: PRICE_FILTER, PERCENT_PRICE, STOP_TOO_FAR, TARGET_TOO_FAR) ->
 *                 reward:risk (REWARD_RISK_TOO_LOW) -> size (SIZE_NOT_POSITIVE, SIZE_OVER_LIMIT)
 *   CANCEL_ORDER: NO_OPEN_TRADE -> UNKNOWN_ORDER_ID -> CANCEL_ACTIVE_TRADE
 *   ADJUST_TRADE: NO_OPEN_TRADE -> UNKNOWN_ORDER_ID -> ADJUST_PENDING_TRADE -> NEW_STOP_WRONG_SIDE ->
 *                 NEW_TARGET_WRONG_SIDE -> NEW_TARGETS_OUT_OF_ORDER -> every new price (priceEnvelope.ts)
 * Any price that is not a finite positive number (NaN, Infinity, 0) is PRICE_NOT_FINITE before all else.
 *   DO_NOTHING:   always accepted.
 * The order id is checked before the trade's status: a command naming a trade that does not exist is
 * reported as such, not as "cannot cancel an ACTIVE trade".
 *
 * Price comparisons are exact decimals (precision.ts), so limits are inclusive to the cent: an entry
 * exactly 2% away with a 2% limit is accepted, a reward:risk of exactly 1.5 meets a 1.5 minimum.
 */

export interface DecisionContext {
  /** canonical (BTCUSDT): the cycle's symbol */
  symbol: string;
  /** this symbol's current open trade (PENDING or ACTIVE), else null */
  trade: Trade | null;
  lastPrice: number;
  risk: RiskLimits;
  marketType: 'spot';
  /** open trades across all symbols (for max_open_trades) */
  openTradesCount: number;
  /**
   * the exchange's price rules for the symbol (filters, percent-price band). The OMS always gives
   * them, so nothing is placed that the exchange would refuse halfway; without them only the
   * configured distances are checked.
   */
  priceRules?: PriceRules;
}

export type RejectionCode =
  | 'WRONG_SYMBOL'
  | 'SHORT_ON_SPOT'
  | 'TRADE_ALREADY_OPEN'
  | 'MAX_OPEN_TRADES'
  | 'STOP_WRONG_SIDE'
  | 'TARGET_WRONG_SIDE'
  | 'TARGETS_OUT_OF_ORDER'
  | 'ENTRY_TOO_FAR'
  | 'REWARD_RISK_TOO_LOW'
  | 'SIZE_NOT_POSITIVE'
  | 'SIZE_OVER_LIMIT'
  | 'NO_OPEN_TRADE'
  | 'UNKNOWN_ORDER_ID'
  | 'CANCEL_ACTIVE_TRADE'
  | 'ADJUST_PENDING_TRADE'
  | 'NEW_STOP_WRONG_SIDE'
  | 'NEW_TARGET_WRONG_SIDE'
  | 'NEW_TARGETS_OUT_OF_ORDER'
  | PriceRejectionCode;

export type Verdict = { ok: true; command: AiCommand } | { ok: false; code: RejectionCode; reason: string };

type Rejection = Extract<Verdict, { ok: false }>;

/**
 * On success the command is returned as given, except that a PLAN_TRADE's symbol is written in the
 * canonical form (BTC/USDT -> BTCUSDT) so that everything downstream sees one spelling.
 */
export function validateCommand(command: AiCommand, ctx: DecisionContext): Verdict {
  switch (command.action) {
    case 'DO_NOTHING':
      return { ok: true, command };
    case 'PLAN_TRADE':
      return validatePlanTrade(command, ctx);
    case 'CANCEL_ORDER':
      return validateCancelOrder(command, ctx) ?? { ok: true, command };
    case 'ADJUST_TRADE':
      return validateAdjustTrade(command, ctx) ?? { ok: true, command };
  }
}

function reject(code: RejectionCode, reason: string): Rejection {
  return { ok: false, code, reason };
}

function validatePlanTrade(command: PlanTradeCommand, ctx: DecisionContext): Verdict {
  const setup = command.trade_setup;
  const symbol = readSymbol(setup.symbol);
  if (symbol === null) {
    return reject(
      'WRONG_SYMBOL',
      `${quoted(setup.symbol)} is not a symbol this system can read; this cycle trades ${ctx.symbol} (write it as ${ctx.symbol})`,
    );
  }
  if (symbol !== readSymbol(ctx.symbol)) {
    return reject(
      'WRONG_SYMBOL',
      `the trade setup is for ${quoted(setup.symbol, false)} but this cycle is for ${ctx.symbol}; a plan may only be made for the symbol being evaluated`,
    );
  }

  const open = isOpen(ctx.trade) ? ctx.trade : null;
  if (open) {
    return reject(
      'TRADE_ALREADY_OPEN',
      `${ctx.symbol} already has an open trade ${open.id} (${open.status} ${open.direction}); ` +
        `only one trade per symbol: cancel or adjust it instead of planning a new one`,
    );
  }
  if (ctx.openTradesCount >= ctx.risk.max_open_trades) {
    return reject(
      'MAX_OPEN_TRADES',
      `${ctx.openTradesCount} trades are already open across all symbols; the limit is ${ctx.risk.max_open_trades}`,
    );
  }
  if (setup.direction === 'SHORT' && ctx.marketType === 'spot') {
    return reject(
      'SHORT_ON_SPOT',
      `a SHORT cannot be opened on the ${ctx.symbol} spot market: spot can only sell what the account holds`,
    );
  }

  const { direction, entry_price: entry, stop_loss_price: stop, take_profit_prices: targets } = setup;
  const prices = commandPrices(direction, { entry, stop, targets });
  const nonFinite = firstNonFinite(prices);
  if (nonFinite) return nonFinite;
  if (!isProtectiveSide(direction, stop, entry)) {
    return reject(
      'STOP_WRONG_SIDE',
      `stop ${stop} is ${relation(stop, entry)} entry ${entry} for a ${direction}; ` +
        `a ${direction}'s stop must be ${direction === 'LONG' ? 'below' : 'above'} its entry`,
    );
  }
  const badTarget = targets.findIndex((t) => !isProfitSide(direction, t, entry));
  if (badTarget >= 0) {
    const t = targets[badTarget]!;
    return reject(
      'TARGET_WRONG_SIDE',
      `target ${badTarget + 1} (${t}) is ${relation(t, entry)} entry ${entry} for a ${direction}; ` +
        `a ${direction}'s targets must all be ${direction === 'LONG' ? 'above' : 'below'} its entry`,
    );
  }
  const outOfOrder = firstOutOfOrder(direction, targets);
  if (outOfOrder !== null) {
    return reject(
      'TARGETS_OUT_OF_ORDER',
      `targets ${targets.join(', ')} are not in order: target ${outOfOrder + 1} (${targets[outOfOrder]}) must be ` +
        `${direction === 'LONG' ? 'above' : 'below'} target ${outOfOrder} (${targets[outOfOrder - 1]}); ` +
        `a ${direction}'s targets go ${direction === 'LONG' ? 'up (ascending)' : 'down (descending)'} from the entry`,
    );
  }

  const last = ctx.lastPrice;
  const maxDistance = ctx.risk.max_entry_distance_percent;
  if (!(Number.isFinite(last) && last > 0)) {
    return reject('ENTRY_TOO_FAR', `there is no valid last price for ${ctx.symbol} (got ${last}), so the entry cannot be checked`);
  }
  // |entry - last| * 100 <= max% * last, exactly
  const distance = mul(abs(sub(toDecimal(entry), toDecimal(last))), toDecimal(100));
  if (compare(distance, mul(toDecimal(maxDistance), toDecimal(last))) > 0) {
    const pct = (Math.abs(entry - last) / last) * 100;
    return reject(
      'ENTRY_TOO_FAR',
      `entry ${entry} is ${beyondLimit(pct, maxDistance, 'above')}% ${entry > last ? 'above' : 'below'} the last price ${last}; ` +
        `the entry must be within ${maxDistance}% of the market`,
    );
  }

  const priceFailure = checkPrices(ctx.symbol, prices, last, priceLimits(ctx), ctx.priceRules);
  if (priceFailure) return priceFailure;

  const firstTarget = targets[0]!;
  const reward = abs(sub(toDecimal(firstTarget), toDecimal(entry)));
  const risk = abs(sub(toDecimal(entry), toDecimal(stop)));
  if (compare(reward, mul(toDecimal(ctx.risk.min_reward_risk), risk)) < 0) {
    const gain = toNumber(reward);
    const loss = toNumber(risk);
    return reject(
      'REWARD_RISK_TOO_LOW',
      `reward:risk to the first target is ${beyondLimit(gain / loss, ctx.risk.min_reward_risk, 'below')} (gain ${gain} to ${firstTarget} ` +
        `vs risk ${loss} to the stop ${stop}); the minimum is ${ctx.risk.min_reward_risk}`,
    );
  }

  const size = setup.position_size_percent;
  if (!(Number.isFinite(size) && size > 0)) {
    return reject('SIZE_NOT_POSITIVE', `position size ${size}% is not a positive percentage of equity`);
  }
  if (size > ctx.risk.max_position_size_percent) {
    return reject(
      'SIZE_OVER_LIMIT',
      `position size ${size}% of equity is over the limit of ${ctx.risk.max_position_size_percent}%`,
    );
  }

  return { ok: true, command: { ...command, trade_setup: { ...setup, symbol } } };
}

/** the current open trade that `order_id` must name, or the rejection */
function targetTrade(command: CancelOrderCommand | AdjustTradeCommand, ctx: DecisionContext): Trade | Rejection {
  const verb = command.action === 'CANCEL_ORDER' ? 'cancel' : 'adjust';
  const trade = isOpen(ctx.trade) ? ctx.trade : null;
  if (!trade) {
    return reject('NO_OPEN_TRADE', `${ctx.symbol} has no open trade, so there is nothing to ${verb} (order_id ${command.order_id})`);
  }
  if (command.order_id !== trade.id) {
    return reject(
      'UNKNOWN_ORDER_ID',
      `order_id ${command.order_id} is not the current ${ctx.symbol} trade; the open trade is ${trade.id} (${trade.status})`,
    );
  }
  return trade;
}

function validateCancelOrder(command: CancelOrderCommand, ctx: DecisionContext): Rejection | null {
  const trade = targetTrade(command, ctx);
  if ('ok' in trade) return trade;
  if (trade.status === 'ACTIVE') {
    return reject(
      'CANCEL_ACTIVE_TRADE',
      `trade ${trade.id} is ACTIVE (its entry has filled); only a PENDING entry can be cancelled. ` +
        `To get out, adjust its stop or targets`,
    );
  }
  return null;
}

function validateAdjustTrade(command: AdjustTradeCommand, ctx: DecisionContext): Rejection | null {
  const trade = targetTrade(command, ctx);
  if ('ok' in trade) return trade;
  if (trade.status === 'PENDING') {
    return reject(
      'ADJUST_PENDING_TRADE',
      `trade ${trade.id} is still PENDING (its entry has not filled); only an ACTIVE trade can be adjusted. ` +
        `Cancel it and plan again instead`,
    );
  }
  const { direction } = trade;
  const last = ctx.lastPrice;
  const stop = command.new_stop_loss_price;
  const prices = commandPrices(direction, { stop, targets: command.new_take_profit_prices }, 'new ');
  const nonFinite = firstNonFinite(prices);
  if (nonFinite) return nonFinite;
  if (!(Number.isFinite(last) && last > 0)) {
    return reject('NEW_STOP_WRONG_SIDE', `there is no valid last price for ${ctx.symbol} (got ${last}), so the new stop cannot be checked`);
  }
  if (!isProtectiveSide(direction, stop, last)) {
    return reject(
      'NEW_STOP_WRONG_SIDE',
      `new stop ${stop} is ${relation(stop, last)} the current price ${last} for a ${direction}; ` +
        `a ${direction}'s stop must stay ${direction === 'LONG' ? 'below' : 'above'} the market or it would trigger at once`,
    );
  }
  const targets = command.new_take_profit_prices;
  if (targets) {
    const bad = targets.findIndex((t) => !isProfitSide(direction, t, last));
    if (bad >= 0) {
      const t = targets[bad]!;
      return reject(
        'NEW_TARGET_WRONG_SIDE',
        `new target ${bad + 1} (${t}) is ${relation(t, last)} the current price ${last} for a ${direction}; ` +
          `a ${direction}'s targets must be ${direction === 'LONG' ? 'above' : 'below'} the market`,
      );
    }
    const outOfOrder = firstOutOfOrder(direction, targets);
    if (outOfOrder !== null) {
      return reject(
        'NEW_TARGETS_OUT_OF_ORDER',
        `new targets ${targets.join(', ')} are not in order: target ${outOfOrder + 1} (${targets[outOfOrder]}) must be ` +
          `${direction === 'LONG' ? 'above' : 'below'} target ${outOfOrder} (${targets[outOfOrder - 1]})`,
      );
    }
  }
  return checkPrices(ctx.symbol, prices, last, priceLimits(ctx), ctx.priceRules);
}

function priceLimits(ctx: DecisionContext) {
  return { maxStopDistancePercent: ctx.risk.max_stop_distance_percent, maxTargetDistancePercent: ctx.risk.max_target_distance_percent };
}

/** model-written text inside a reason: bounded, one line */
function quoted(text: string, marks = true): string {
  const line = text.replace(/\s+/g, ' ');
  const short = line.length > 40 ? `${line.slice(0, 40)}...` : line;
  return marks ? `"${short}"` : short;
}

function readSymbol(text: string): string | null {
  try {
    return canonicalSymbol(text);
  } catch {
    return null;
  }
}

/** stop strictly on the loss side of `reference` (entry or current price) */
function isProtectiveSide(direction: Direction, stop: number, reference: number): boolean {
  const c = compare(toDecimal(stop), toDecimal(reference));
  return direction === 'LONG' ? c < 0 : c > 0;
}

/** target strictly on the profit side of `reference` */
function isProfitSide(direction: Direction, target: number, reference: number): boolean {
  const c = compare(toDecimal(target), toDecimal(reference));
  return direction === 'LONG' ? c > 0 : c < 0;
}

/** index of the first target not strictly beyond the previous one (duplicates count as out of order) */
function firstOutOfOrder(direction: Direction, targets: readonly number[]): number | null {
  for (let i = 1; i < targets.length; i++) {
    if (!isProfitSide(direction, targets[i]!, targets[i - 1]!)) return i;
  }
  return null;
}

function relation(a: number, b: number): string {
  return a > b ? 'above' : a < b ? 'below' : 'equal to';
}

/** x to 2 decimals, or as many more as it takes not to print a refused value as the limit itself */
function beyondLimit(x: number, limit: number, side: 'above' | 'below'): number {
  for (let digits = 2; digits < 10; digits++) {
    const shown = Number(x.toFixed(digits));
    if (side === 'above' ? shown > limit : shown < limit) return shown;
  }
  return x;
}
