import { ApplicationFailure } from '@temporalio/activity';
import type { AiCommand } from '../domain/commands';
import { canonicalSymbol } from '../domain/symbols';
import { isOpen, type OrderRef, type Trade } from '../domain/trade';
import { classifyExchangeError, isPermanentRefusal } from '../exchange/errors';
import * as oms from '../oms';
import type { OmsContext } from '../oms';
import type { OmsResult } from '../domain/omsResult';
import type { ExchangePort } from '../exchange/port';
import type { ActivityDeps } from './deps';
import type { Scrub } from './failures';

/**
 * The OMS steps the symbol workflow's activities carry out, without the Temporal shell (heartbeats,
 * failure conversion): the activities (oms.ts) wrap them, and the backtest calls them directly over
 * its in-process exchange, so both run the same code. A permanent exchange refusal becomes a
 * REJECTED result; transient failures are thrown.
 */

/** `log`: where OMS alerts go as they happen (the activity's logger; a console logger in scripts) */
export type OmsStepDeps = Pick<ActivityDeps, 'risk'> & { gateway: ExchangePort; scrub: Scrub; log: oms.OmsLogger };

export interface ExecuteAiCommandInput {
  symbol: string;
  sequence: number;
  command: AiCommand;
  /** the symbol's OPEN trade (PENDING or ACTIVE) or null */
  trade: Trade | null;
  /** last price the strategist saw (sizing, and re-checks of the command) */
  lastPrice: number;
  /** the workflow's clock, epoch ms: the same on every attempt (the trade's createdAt) */
  now?: number;
}

export function omsSteps(deps: OmsStepDeps) {
  const { scrub } = deps;
  const context = (symbol: string, trade: Trade | null, sequence: number, lastPrice?: number, now?: number): OmsContext => ({
    gateway: deps.gateway,
    symbol: canonicalSymbol(symbol),
    trade,
    sequence,
    risk: deps.risk,
    log: deps.log,
    // max_open_trades was checked across symbols when the strategist's answer was validated; here
    // only this symbol's own trade is known
    openTradesCount: isOpen(trade) ? 1 : 0,
    ...(lastPrice !== undefined ? { lastPrice } : {}),
    ...(now !== undefined ? { now } : {}),
  });

  return {
    executeAiCommand(input: ExecuteAiCommandInput): Promise<OmsResult> {
      return refusalAsRejection(input.trade, scrub, async () =>
        fromOms(await oms.executeAiCommand(input.command, context(input.symbol, input.trade, input.sequence, input.lastPrice, input.now))),
      );
    },

    async ensureProtection(input: { trade: Trade; quantity: number }): Promise<OmsResult> {
      const { trade } = input;
      const outcome = await oms.ensureProtection(deps.gateway, trade, { quantity: input.quantity, log: deps.log });
      const after = oms.applyEvents(trade, outcome.events);
      const rejection = outcome.rejection
        ? { stage: 'exchange', code: `EXCHANGE_${outcome.rejection.kind.toUpperCase()}`, reason: outcome.rejection.message }
        : undefined;
      if (outcome.status === 'UNPROTECTED') {
        const limits = await deps.gateway.marketLimits(trade.symbol);
        const naked = Math.max(0, outcome.held - outcome.protectedQuantity);
        if (naked >= limits.minAmount && naked > 0) {
          // never report a naked position as done: fail loudly and keep trying (idempotent)
          throw ApplicationFailure.retryable(
            `${trade.id}: ${naked} ${trade.symbol} is UNPROTECTED: ${outcome.alerts.join('; ')}`,
            'PositionUnprotected',
          );
        }
      }
      const outcomeKind =
        outcome.status === 'REFUSED' || outcome.status === 'UNPROTECTED'
          ? 'REJECTED'
          : outcome.status === 'CLOSED_AT_MARKET' || outcome.placed.length > 0
            ? 'EXECUTED'
            : 'NOTHING_TO_DO';
      const result: OmsResult = { outcome: outcomeKind, trade: after, events: outcome.events, alerts: outcome.alerts };
      if (rejection) result.rejection = rejection;
      return result;
    },

    cancelPendingOrder(input: { trade: Trade; reason: string }): Promise<OmsResult> {
      return refusalAsRejection(input.trade, scrub, async () => {
        // also for an ACTIVE trade whose entry still rests partly unfilled: the OMS cancels the
        // remainder and keeps the filled part protected (a filled entry comes back REJECTED)
        const { trade } = input;
        const command = { action: 'CANCEL_ORDER', order_id: trade.id, reasoning: input.reason } as const;
        return fromOms(await oms.cancelPendingOrder(command, trade, context(trade.symbol, trade, 0)));
      });
    },

    /** flatten_on_halt: the ACTIVE position closed at market, once (src/oms/flattenPosition.ts) */
    flattenPosition(input: { trade: Trade; reason: string }): Promise<OmsResult> {
      return refusalAsRejection(input.trade, scrub, async () => {
        const out = await oms.flattenPosition(deps.gateway, input.trade, input.reason);
        const result: OmsResult = {
          outcome: out.status === 'FLATTENED' ? 'EXECUTED' : out.status === 'REFUSED' ? 'REJECTED' : 'NOTHING_TO_DO',
          trade: out.trade,
          events: out.events,
          // every order it touched is a trade log row (the workflow writes alerts as ORDER rows)
          alerts: [...out.orders, ...out.alerts].map(scrub),
        };
        if (out.rejection) result.rejection = { stage: 'exchange', code: `EXCHANGE_${out.rejection.kind.toUpperCase()}`, reason: scrub(out.rejection.message) };
        return result;
      });
    },

    cancelProtection(input: { trade: Trade; reason: string }): Promise<OmsResult> {
      return refusalAsRejection(input.trade, scrub, async () => {
        const { trade } = input;
        // fills of the lists (a leg may have filled since the last look) come back as events
        const { cancelled: ids, events } = await oms.cancelProtectionAndReadFills(deps.gateway, trade);
        const cancelled = new Set(ids);
        const orders = trade.orders.map((r): OrderRef => (cancelled.has(r.clientOrderId) && r.status === 'OPEN' ? { ...r, status: 'CANCELLED' } : r));
        const alerts = cancelled.size > 0 ? [`${trade.id}: protection cancelled (${[...cancelled].join(', ')}): ${input.reason}`] : [];
        return {
          outcome: cancelled.size > 0 || events.length > 0 ? 'EXECUTED' : 'NOTHING_TO_DO',
          trade: oms.applyEvents({ ...trade, orders }, events),
          events,
          alerts,
        };
      });
    },
  };
}

/** the OMS's result with the rejection's stage named (validation codes vs the exchange's refusals) */
function fromOms(result: OmsResult): OmsResult {
  const out: OmsResult = { outcome: result.outcome, trade: result.trade, events: result.events, alerts: result.alerts };
  if (result.rejection) {
    out.rejection = {
      stage: result.rejection.code.startsWith('EXCHANGE_') ? 'exchange' : 'oms',
      code: result.rejection.code,
      reason: result.rejection.reason,
    };
  }
  return out;
}

/**
 * A permanent exchange refusal that escaped the OMS becomes a REJECTED result (recorded by the
 * workflow, nothing retried); transient failures are rethrown for Temporal to retry.
 */
async function refusalAsRejection(trade: Trade | null, scrub: Scrub, work: () => Promise<OmsResult>): Promise<OmsResult> {
  try {
    return await work();
  } catch (err) {
    if (!isPermanentRefusal(err)) throw err;
    const c = classifyExchangeError(err);
    return {
      outcome: 'REJECTED',
      trade,
      events: [],
      alerts: [],
      rejection: { stage: 'exchange', code: `EXCHANGE_${c.kind.toUpperCase()}`, reason: scrub(c.message) },
    };
  }
}
