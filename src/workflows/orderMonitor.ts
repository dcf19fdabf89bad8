import { ApplicationFailure, CancellationScope, condition, continueAsNew, isCancellation, getExternalWorkflowHandle, log, patched, proxyActivities, setCurrentDetails, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { OrderMonitorActivities } from '../activities';
import type { TradeEvent } from '../domain/events';
import { HEARTBEAT_TIMEOUT } from './activities';
import type { Trade } from '../domain/trade';
import { traderWorkflowId } from '../contract/ids';
import { DEFAULT_MONITOR_INTERVAL_MS, DEFAULT_STREAM_POLL_INTERVAL_MS, type OrderMonitorInput, type OrderMonitorState, type OrderMonitorWorkflow } from '../contract/monitorState';
import { monitorStateQuery, orderEventSignal, unwatchSignal, watchSignal } from '../contract/signals';
import { pollTimerSummary, streamOrdersSummary, trackOrdersSummary } from './summaries';
import { failureMessage } from './describe';
import { monitorDetails } from './traderDetails';

/** reading order status is idempotent; a failed poll is simply tried again at the next interval */
const { trackOrders } = proxyActivities<OrderMonitorActivities>({
  startToCloseTimeout: '30 seconds',
  // trackOrders heartbeats: a killed worker's poll is retried in seconds, not at the timeout
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 3 },
});

/**
 * the user-data stream: one long-running activity per monitor run. Its heartbeat timeout is a few
 * seconds, so the stream of a worker that died is picked up by another worker that quickly (the
 * retry policy never gives up; a session ends by itself after some hours and is started again).
 */
const { streamOrders } = proxyActivities<OrderMonitorActivities>({
  startToCloseTimeout: '7 hours',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

export { DEFAULT_MONITOR_INTERVAL_MS, DEFAULT_STREAM_POLL_INTERVAL_MS };
export const DEFAULT_MAX_POLLS_PER_RUN = 300;
const MIN_MONITOR_INTERVAL_MS = 10;
/** patch: a poll's signals to the symbol workflows go out together */
const PARALLEL_DELIVERY = 'monitor-parallel-delivery';
/** patch: fills are heard over the user-data stream (activity streamOrders); polls become the slow safety net */
const STREAMING_MONITOR = 'monitor-user-data-stream';

/**
 * One workflow (id `order-monitor`) watches the orders of every open trade across symbols and
 * signals each owning symbolTrader with what happened. Symbol workflows register their trades with
 * signal-with-start (activity watchOrders), so the monitor exists as soon as there is something to
 * watch, and a trade that is no longer open leaves the watch set.
 *
 * Delivery is at least once: the tracker gives every exchange fact a stable event id, the monitor
 * remembers what it sent per trade, and the symbol workflow ignores ids it has seen. A monitor that
 * lost its memory (terminated and started again) just re-sends; nothing is applied twice.
 *
 * Streaming (behind patch STREAMING_MONITOR): while trades are watched, the streamOrders activity
 * holds the account's user-data stream open and signals the symbol workflows itself, the moment
 * the exchange speaks (its events carry the same ids as the poller's). Polls go on every
 * streamPollIntervalMs as the safety net; where the worker has no stream, the activity says so at
 * once and the monitor polls every intervalMs as before. Runs from before the patch keep polling
 * until they continue as new (README: "Migrating to the streaming monitor").
 */
export async function orderMonitor(input: OrderMonitorInput = {}): Promise<void> {
  const intervalMs = input.intervalMs ?? DEFAULT_MONITOR_INTERVAL_MS;
  const maxPolls = input.maxPollsPerRun ?? DEFAULT_MAX_POLLS_PER_RUN;
  const streamPollMs = input.streamPollIntervalMs ?? DEFAULT_STREAM_POLL_INTERVAL_MS;
  if (!(Number.isFinite(intervalMs) && intervalMs >= MIN_MONITOR_INTERVAL_MS) || !(Number.isInteger(maxPolls) && maxPolls >= 1)) {
    throw ApplicationFailure.nonRetryable(
      `orderMonitor input: intervalMs must be at least ${MIN_MONITOR_INTERVAL_MS} (got ${intervalMs}) and maxPollsPerRun a whole number >= 1 (got ${maxPolls})`,
      'InvalidMonitorInput',
    );
  }
  if (!(Number.isFinite(streamPollMs) && streamPollMs >= MIN_MONITOR_INTERVAL_MS)) {
    throw ApplicationFailure.nonRetryable(`orderMonitor input: streamPollIntervalMs must be at least ${MIN_MONITOR_INTERVAL_MS} (got ${streamPollMs})`, 'InvalidMonitorInput');
  }
  const state: OrderMonitorState = input.state ?? { watched: {}, sent: {}, polls: 0, lastPollAt: null, lastError: null };
  const streaming = input.stream !== false && patched(STREAMING_MONITOR);
  let streamScope: CancellationScope | null = null;
  if (streaming) {
    // every run tries the stream afresh (the worker that said "unavailable" may be gone)
    delete state.stream;
    state.streamNote = null;
  }

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
    if (streaming) {
      startStream();
      // the stream may turn out unavailable meanwhile: then the wait is planned again, at intervalMs
      const every = state.stream === 'on' ? streamPollMs : intervalMs;
      const was = state.stream;
      if (await condition(() => state.stream !== was, every, { summary: pollTimerSummary(every, watchedTrades().length) })) {
        polls--;
        continue;
      }
    } else {
      await sleep(intervalMs, { summary: pollTimerSummary(intervalMs, watchedTrades().length) });
    }
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
  // the next run starts its own stream; this one's activity is cancelled (not waited for)
  (streamScope as CancellationScope | null)?.cancel();
  await continueAsNew<typeof orderMonitor>({ ...input, state });

  // ===========================================================================================

  /** the stream activity, unless it runs already or the worker has none */
  function startStream(): void {
    if (streamScope || state.stream === 'unavailable') return;
    state.stream = 'on';
    const scope = new CancellationScope();
    streamScope = scope;
    void scope
      .run(() => streamOrders.executeWithOptions({ summary: streamOrdersSummary(watchedTrades().length) }, [{}]))
      .then(
        (result) => {
          streamScope = null;
          if (!result.streamed) {
            state.stream = 'unavailable';
            state.streamNote = result.reason;
          } else {
            // a session ended by itself: the next starts at once
            state.streamNote = result.lastError;
            startStream();
          }
        },
        (err: unknown) => {
          if (isCancellation(err)) return;
          // started again at the next poll, not at once: a failing activity must not spin
          streamScope = null;
          state.streamNote = failureMessage(err);
        },
      )
      .finally(showDetails);
  }

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
    setCurrentDetails(monitorDetails(state, state.stream === 'on' ? streamPollMs : intervalMs));
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
