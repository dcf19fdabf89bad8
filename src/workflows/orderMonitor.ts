import { ApplicationFailure, condition, continueAsNew, getExternalWorkflowHandle, log, patched, proxyActivities, setCurrentDetails, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { OrderMonitorActivities } from '../activities';
import type { TradeEvent } from '../domain/events';
import { HEARTBEAT_TIMEOUT } from './activities';
import type { Trade } from '../domain/trade';
import { traderWorkflowId } from '../contract/ids';
import { DEFAULT_MONITOR_INTERVAL_MS, type OrderMonitorInput, type OrderMonitorState, type OrderMonitorWorkflow } from '../contract/monitorState';
import { monitorStateQuery, orderEventSignal, unwatchSignal, watchSignal } from '../contract/signals';
import { pollTimerSummary, trackOrdersSummary } from './summaries';
import { monitorDetails } from './traderDetails';

/** reading order status is idempotent; a failed poll is simply tried again at the next interval */
const { trackOrders } = proxyActivities<OrderMonitorActivities>({
  startToCloseTimeout: '30 seconds',
  // trackOrders heartbeats: a killed worker's poll is retried in seconds, not at the timeout
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 3 },
});

export { DEFAULT_MONITOR_INTERVAL_MS };
export const DEFAULT_MAX_POLLS_PER_RUN = 300;
const MIN_MONITOR_INTERVAL_MS = 10;
/** patch: a poll's signals to the symbol workflows go out together */
const PARALLEL_DELIVERY = 'monitor-parallel-delivery';

/**
 * One workflow (id `order-monitor`) watches the orders of every open trade across symbols and
 * signals each owning symbolTrader with what happened. Symbol workflows register their trades with
 * signal-with-start (activity watchOrders), so the monitor exists as soon as there is something to
 * watch, and a trade that is no longer open leaves the watch set.
 *
 * Delivery is at least once: the tracker gives every exchange fact a stable event id, the monitor
 * remembers what it sent per trade, and the symbol workflow ignores ids it has seen. A monitor that
 * lost its memory (terminated and started again) just re-sends; nothing is applied twice.
 */
export async function orderMonitor(input: OrderMonitorInput = {}): Promise<void> {
  const intervalMs = input.intervalMs ?? DEFAULT_MONITOR_INTERVAL_MS;
  const maxPolls = input.maxPollsPerRun ?? DEFAULT_MAX_POLLS_PER_RUN;
  if (!(Number.isFinite(intervalMs) && intervalMs >= MIN_MONITOR_INTERVAL_MS) || !(Number.isInteger(maxPolls) && maxPolls >= 1)) {
    throw ApplicationFailure.nonRetryable(
      `orderMonitor input: intervalMs must be at least ${MIN_MONITOR_INTERVAL_MS} (got ${intervalMs}) and maxPollsPerRun a whole number >= 1 (got ${maxPolls})`,
      'InvalidMonitorInput',
    );
  }
  const state: OrderMonitorState = input.state ?? { watched: {}, sent: {}, polls: 0, lastPollAt: null, lastError: null };

  setHandler(watchSignal, (trade) => {
    if (!trade?.id) return;
    if (trade.status === 'PENDING' || trade.status === 'ACTIVE') state.watched[trade.id] = trade;
    else forget(trade.id);
    showDetails();
  });
  setHandler(unwatchSignal, (tradeId) => {
    forget(tradeId);
    showDetails();
  });
  setHandler(monitorStateQuery, () => state);
  showDetails();

  for (let polls = 0; polls < maxPolls && !workflowInfo().continueAsNewSuggested; polls++) {
    // With nothing to watch the monitor sleeps without a timer: its history stays still.
    await condition(() => watchedTrades().length > 0);
    await sleep(intervalMs, { summary: pollTimerSummary(intervalMs, watchedTrades().length) });
    const trades = watchedTrades();
    if (trades.length === 0) continue;

    let events: TradeEvent[];
    try {
      events = await trackOrders.executeWithOptions({ summary: trackOrdersSummary(trades) }, [{ trades }]);
      state.lastError = null;
    } catch (err) {
      state.lastError = err instanceof Error ? err.message : String(err);
      showDetails();
      continue;
    }
    state.polls++;
    state.lastPollAt = Date.now();
    await deliver(events);
    showDetails();
  }
  await continueAsNew<typeof orderMonitor>({ ...input, state });

  // ===========================================================================================

  async function deliver(events: TradeEvent[]): Promise<void> {
    const bySymbol = new Map<string, TradeEvent[]>();
    const inThisPoll = new Set<string>();
    for (const event of events) {
      const trade = state.watched[event.tradeId];
      if (!trade || inThisPoll.has(event.eventId) || (state.sent[event.tradeId] ?? []).includes(event.eventId)) continue;
      inThisPoll.add(event.eventId);
      bySymbol.set(trade.symbol, [...(bySymbol.get(trade.symbol) ?? []), event]);
    }
    const batches = [...bySymbol];
    if (patched(PARALLEL_DELIVERY)) {
      // one server round trip for the whole poll instead of one per symbol (bench/results/orchestration.md)
      const outcomes = await Promise.allSettled(batches.map(([symbol, batch]) => signalTrader(symbol, batch)));
      batches.forEach(([symbol, batch], i) => settle(symbol, batch, outcomes[i]!));
      return;
    }
    for (const [symbol, batch] of batches) {
      settle(symbol, batch, await signalTrader(symbol, batch).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      ));
    }
  }

  function signalTrader(symbol: string, batch: TradeEvent[]): Promise<void> {
    return getExternalWorkflowHandle(traderWorkflowId(symbol)).signal(orderEventSignal, batch);
  }

  function settle(symbol: string, batch: TradeEvent[], outcome: PromiseSettledResult<void>): void {
    if (outcome.status === 'rejected') {
      // Its symbol workflow is gone (stopped): nobody to tell. Starting the symbol again reconciles.
      log.warn('symbol workflow not reachable; its trades are no longer watched', { symbol, error: String(outcome.reason) });
      for (const trade of watchedTrades()) if (trade.symbol === symbol) forget(trade.id);
      return;
    }
    for (const event of batch) {
      // a trade may have left the watch set while the signal was in flight
      if (state.watched[event.tradeId]) (state.sent[event.tradeId] ??= []).push(event.eventId);
    }
  }

  /** the Web UI's card on the monitor's page: what it watches */
  function showDetails(): void {
    setCurrentDetails(monitorDetails(state, intervalMs));
  }

  function watchedTrades(): Trade[] {
    return Object.values(state.watched);
  }

  function forget(tradeId: string): void {
    delete state.watched[tradeId];
    delete state.sent[tradeId];
  }
}

// the signature the contract gives outsiders who start the monitor (signal-with-start): checked here
orderMonitor satisfies OrderMonitorWorkflow;
