import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { TradeEvent } from '../domain/events';
import type { Trade } from '../domain/trade';
import type { OrderMonitorState } from './monitorState';
import type { CancelOrderSignal, ControlOutcome, ReconcileRequest, StopSignal, SymbolTraderState } from './traderState';

/**
 * Signal and query names are what `temporal workflow signal --name ...` and the CLI use: keep them.
 * Payloads are optional where a person may send them by hand with no --input.
 */

/** order events from the monitor (one or many); at-least-once, deduplicated by eventId */
export const orderEventSignal = defineSignal<[TradeEvent[] | TradeEvent]>('orderEvent');
/** manual cancel of the PENDING entry: `--input '{"reason":"x"}'`, or no input at all */
export const cancelOrderSignal = defineSignal<[CancelOrderSignal?]>('cancelOrder');
/** finish the current step and end; `{"cancelPending": true}` also cancels a PENDING entry */
export const stopSignal = defineSignal<[StopSignal?]>('stop');
/**
 * compare the open trade with the exchange's orders, order lists and balances now, and repair or
 * report the differences: `--input '{"reason":"stream reconnected"}'` or no input. The streaming
 * monitor sends it after every reconnect; traders started before it existed ignore it.
 */
export const reconcileNowSignal = defineSignal<[ReconcileRequest?]>('reconcileNow');
export const stateQuery = defineQuery<SymbolTraderState>('state');
/**
 * The same two controls as Updates, which answer with what happened. The cancel's validator refuses
 * it when there is no PENDING entry, inside the workflow, so the check and the act cannot race (a
 * query then a signal could). The signals above keep working for `temporal workflow signal`.
 */
export const cancelEntryUpdate = defineUpdate<ControlOutcome, [CancelOrderSignal?]>('cancelEntry');
export const stopTraderUpdate = defineUpdate<ControlOutcome, [StopSignal?]>('stopTrader');

/** the monitor: start (or refresh) watching a trade's orders; a trade that is not open is dropped */
export const watchSignal = defineSignal<[Trade]>('watch');
export const unwatchSignal = defineSignal<[string]>('unwatch');
export const monitorStateQuery = defineQuery<OrderMonitorState>('monitorState');
