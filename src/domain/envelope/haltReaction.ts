import type { OmsResult } from '../omsResult';
import type { Trade } from '../trade';
import type { HaltKind } from './killSwitch';

/**
 * A symbol trader's reaction to a portfolio halt, decided once for the live trader
 * (src/workflows/traderEnvelope.ts) and the backtest (src/backtest/envelope.ts): no PENDING entry
 * stays (and an entry that filled before its cancel landed is flattened when asked); an ACTIVE
 * position keeps its stop and targets, or with `risk.flatten_on_halt` is closed at market. The
 * reaction is a few steps with an OMS call between them whose result decides the next one, so it
 * is given one step at a time: `haltReaction` says what to do next from the trade as it is now;
 * the caller journals the step's row, carries out its action and asks again.
 */

/** the portfolio's word to its traders, sent once per halt (the `portfolioHalt` signal) */
export interface HaltNotice {
  kind: HaltKind;
  reason: string;
  /** close ACTIVE positions at market too */
  flatten: boolean;
}

/** a trade log row the reaction writes */
export interface HaltRow {
  kind: 'CONTROL' | 'ORDER' | 'REJECTION';
  detail: string;
  /** the trade it is about (none: there is no open trade) */
  trade?: Trade;
  action: 'PORTFOLIO_HALTED' | 'FLATTEN_ON_HALT';
}

/**
 * One step, journaled (its `row`, when it has one) before its action:
 * - CANCEL_ENTRY: the OMS cancels the PENDING entry (cancelPendingOrder);
 * - FLATTEN: flatten_on_halt starts; when `cancelRemainder`, the entry's working remainder is
 *   cancelled first, so that no new fill lands behind the close;
 * - CLOSE_AT_MARKET: the OMS's flattenPosition (its result journaled with `flattenResultRow`);
 * - KEEP_PROTECTION, NO_OPEN_TRADE: only the row.
 */
export type HaltStep =
  | { step: 'CANCEL_ENTRY'; row: HaltRow; trade: Trade; reason: string }
  | { step: 'FLATTEN'; row: HaltRow; trade: Trade; reason: string; cancelRemainder: boolean }
  | { step: 'CLOSE_AT_MARKET'; trade: Trade; reason: string }
  | { step: 'KEEP_PROTECTION'; row: HaltRow }
  | { step: 'NO_OPEN_TRADE'; row: HaltRow };

export interface HaltOptions {
  /**
   * whether an ACTIVE position may be flattened (the notice asked for it). Asked only at the moment
   * a flatten would start, never otherwise: the workflow answers with its `patched('flatten-on-halt')`
   * marker, which must be recorded exactly there; the backtest always says yes.
   */
  mayFlatten(): boolean;
}

/**
 * The next step of the reaction to `notice`, after `taken` (null: the first), for `trade` as it is
 * now (after the previous step's result was taken); null when the reaction is complete.
 */
export function haltReaction(trade: Trade | null, notice: HaltNotice, taken: HaltStep | null, options: HaltOptions): HaltStep | null {
  const halted = `portfolio HALTED (${notice.kind})`;
  if (taken === null) {
    if (trade?.status === 'PENDING') {
      return { step: 'CANCEL_ENTRY', row: control(`${halted}: cancelling the PENDING entry; ${notice.reason}`, trade, 'PORTFOLIO_HALTED'), trade, reason: halted };
    }
    if (trade?.status === 'ACTIVE' && notice.flatten && options.mayFlatten()) return flatten(trade, notice);
    if (trade?.status === 'ACTIVE') {
      const keeps = `the ACTIVE position keeps its stop ${trade.stopLossPrice} and targets ${trade.takeProfitPrices.join('/')}`;
      return { step: 'KEEP_PROTECTION', row: control(`${halted}: ${keeps}; ${notice.reason}`, trade, 'PORTFOLIO_HALTED') };
    }
    return { step: 'NO_OPEN_TRADE', row: control(`${halted}: no open trade; ${notice.reason}`, undefined, 'PORTFOLIO_HALTED') };
  }
  // an entry that filled (in part) before the cancel landed is a position: flattened too when asked
  if (taken.step === 'CANCEL_ENTRY') return notice.flatten && trade?.status === 'ACTIVE' && options.mayFlatten() ? flatten(trade, notice) : null;
  // the remainder's cancel may have ended the trade (nothing was held): nothing to close
  if (taken.step === 'FLATTEN') return trade?.status === 'ACTIVE' ? { step: 'CLOSE_AT_MARKET', trade, reason: taken.reason } : null;
  return null;
}

/** the row of flattenPosition's result: the close, or the exchange's refusal (the position then keeps its protection) */
export function flattenResultRow(result: OmsResult, trade: Trade): HaltRow {
  const refused = result.outcome === 'REJECTED';
  const detail = refused ? `REFUSED: ${result.rejection?.reason ?? 'by the exchange'}; the position keeps its protection` : result.outcome;
  return { kind: refused ? 'REJECTION' : 'ORDER', detail: `flatten on halt ${detail}`, trade: result.trade ?? trade, action: 'FLATTEN_ON_HALT' };
}

/**
 * Every step of the reaction, each computed when the previous one has been carried out (a caller's
 * `for ... of` body with its awaits runs between two steps), from the trade `current()` returns then.
 */
export function* haltSteps(current: () => Trade | null, notice: HaltNotice, options: HaltOptions): Generator<HaltStep, void, undefined> {
  for (let step = haltReaction(current(), notice, null, options); step; step = haltReaction(current(), notice, step, options)) yield step;
}

function flatten(trade: Trade, notice: HaltNotice): HaltStep {
  const reason = `portfolio HALTED (${notice.kind}): ${notice.reason}`;
  const cancelRemainder = trade.orders.some((o) => o.role === 'ENTRY' && o.status === 'OPEN');
  return { step: 'FLATTEN', row: control(`${reason}; flatten_on_halt: closing the ACTIVE position at market`, trade, 'FLATTEN_ON_HALT'), trade, reason, cancelRemainder };
}

function control(detail: string, trade: Trade | undefined, action: HaltRow['action']): HaltRow {
  return { kind: 'CONTROL', detail, trade, action };
}
