import { condition, setHandler } from '@temporalio/workflow';
import type { Trade } from '../domain/trade';
import { cancelEntryUpdate, stopTraderUpdate } from '../contract/signals';
import type { CancelOrderSignal, ControlOutcome, SymbolTraderState } from '../contract/traderState';
import type { Inbox } from './inbox';

/**
 * The cancelEntry and stopTrader Updates: the same controls as the cancelOrder and stop signals,
 * carried out by the same main-loop code, but the caller hears what happened. Handlers only take
 * note (the main loop acts, so activities never run concurrently on one trade) and wait for the
 * loop to report the outcome. The cancel's validator runs inside the workflow on its current state,
 * so "is there a PENDING entry?" and the cancel itself cannot race as a query then a signal could.
 */
export class TraderControls {
  #tickets = 0;
  readonly #cancels = new Map<number, ControlOutcome>();
  #stopped: ControlOutcome | undefined;

  constructor(
    private readonly state: SymbolTraderState,
    private readonly inbox: Inbox,
  ) {}

  register(): void {
    setHandler(
      cancelEntryUpdate,
      async (request) => {
        const ticket = ++this.#tickets;
        this.inbox.cancels.push({ reason: request?.reason?.trim() || 'manual cancel', ticket });
        await condition(() => this.#cancels.has(ticket));
        const outcome = this.#cancels.get(ticket)!;
        this.#cancels.delete(ticket);
        return outcome;
      },
      { validator: (_request?: CancelOrderSignal) => refuseCancel(this.state) },
    );
    setHandler(stopTraderUpdate, async (request) => {
      this.state.stopRequested = true;
      this.inbox.cancelPending ||= request?.cancelPending === true;
      await condition(() => this.#stopped !== undefined);
      return this.#stopped!;
    });
  }

  /** the main loop handled a cancel; `ticket` is set when it came as an Update */
  cancelHandled(ticket: number | undefined, before: Trade | null, after: Trade | null, failure: string | null): void {
    if (ticket !== undefined) this.#cancels.set(ticket, cancelOutcome(before, after, failure));
  }

  /** the trader has finished its stop; `message` is what the trade log says of it */
  stopped(message: string, trade: Trade | null): void {
    this.#stopped = { result: 'STOPPED', message: message.replace(/^stop: /, 'stopped: '), trade: tradeRef(trade) };
  }
}

/** the validator: throwing rejects the Update before it is written to the history */
export function refuseCancel(state: SymbolTraderState): void {
  if (state.stopRequested) throw new Error(`${state.symbol} is stopping: a stop with cancelPending cancels its PENDING entry`);
  const trade = state.trade;
  if (trade?.status !== 'PENDING') {
    throw new Error(`${state.symbol} has no PENDING entry to cancel` + (trade ? ` (trade ${trade.id} is ${trade.status})` : ' (no open trade)'));
  }
}

/** what a handled cancel did, from the trade before and after it */
export function cancelOutcome(before: Trade | null, after: Trade | null, failure: string | null): ControlOutcome {
  const trade = tradeRef(after);
  if (before?.status !== 'PENDING') {
    return { result: 'NOT_CANCELLED', message: before ? `trade ${before.id} was ${before.status} by then: nothing to cancel` : 'there was no PENDING entry', trade };
  }
  if (after?.id === before.id && after.status === 'CANCELLED') {
    return { result: 'CANCELLED', message: `trade ${before.id} cancelled: its entry order is off the exchange`, trade };
  }
  if (after?.id === before.id && after.status !== 'PENDING') {
    const detail = after.status === 'ACTIVE' ? `; it keeps its stop ${after.stopLossPrice} and targets ${after.takeProfitPrices.join('/')}` : '';
    return { result: 'NOT_CANCELLED', message: `trade ${before.id} is ${after.status}: the entry filled before the cancel reached it${detail}`, trade };
  }
  return {
    result: 'NOT_CANCELLED',
    message: `trade ${before.id} is still PENDING: ${failure ?? 'the cancel did not go through'}`,
    trade,
  };
}

/** a stop with cancelPending: what became of the PENDING entry `tradeId` */
export function stopCancelText(tradeId: string, trade: Trade | null, lastError: string | null): string {
  const now = trade?.id === tradeId ? trade.status : 'gone';
  if (now === 'CANCELLED') return 'cancelled';
  return now === 'PENDING' ? `NOT cancelled (${lastError ?? 'the cancel failed'}); it stays on the exchange` : `${now} (it filled first)`;
}

function tradeRef(trade: Trade | null): ControlOutcome['trade'] {
  return trade ? { id: trade.id, status: trade.status } : null;
}
