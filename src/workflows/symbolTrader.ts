import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OmsResult, StrategistDecision, SymbolTraderActivities, TradeLogKind, TradeLogRow } from '../activities/types';
import type { AiCommand } from '../domain/commands';
import type { TradeEvent } from '../domain/events';
import { applyTradeEvent, type TradeEffect } from '../domain/stateMachine';
import { isOpen, type Trade } from '../domain/trade';
import { MIN_CYCLE_INTERVAL_MS, nextDueTime } from './cadence';
import { SymbolKey, TradeStatusKey, TradingModeKey } from './searchAttributes';
import { cancelOrderSignal, orderEventSignal, stateQuery, stopSignal } from './signals';
import {
  SEEN_EVENT_IDS_LIMIT,
  type CancelOrderSignal,
  type DecisionSummary,
  type SymbolTraderInput,
  type SymbolTraderState,
} from './state';

/*
 * Activity options. Every activity is idempotent (see src/activities/types.ts), so retrying is safe;
 * the limits say how long a step may keep trying before the workflow records the failure and goes on.
 */

/** read-only market data: a failed fetch only costs this cycle */
const market = proxyActivities<Pick<SymbolTraderActivities, 'fetchMarketData'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 4 },
});

/** the LLM has its own timeout and retries inside the activity; a failure becomes DO_NOTHING */
const strategist = proxyActivities<Pick<SymbolTraderActivities, 'askStrategist'>>({
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 2 },
});

/** placing and cancelling orders: client ids make a retry adopt what an earlier attempt placed */
const orders = proxyActivities<Pick<SymbolTraderActivities, 'executeAiCommand' | 'cancelPendingOrder' | 'cancelProtection'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** a filled position must never stay naked: protection is retried until it rests on the exchange */
const protection = proxyActivities<Pick<SymbolTraderActivities, 'ensureProtection'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

const bookkeeping = proxyActivities<Pick<SymbolTraderActivities, 'reconcileSymbol' | 'watchOrders' | 'appendTradeLog'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

export const DEFAULT_MAX_CYCLES_PER_RUN = 200;
/** trade log rows kept for a later attempt when the journal cannot be written */
const UNFLUSHED_ROWS_LIMIT = 1000;

/**
 * One symbol, forever: reconcile with the exchange, then every cycle ask the strategist for one
 * command and have the OMS carry it out, while order events, a manual cancel and stop are handled
 * the moment they arrive. Change the logic only behind `patched()`: histories in
 * test/fixtures/histories must keep replaying.
 */
export async function symbolTrader(input: SymbolTraderInput): Promise<SymbolTraderState> {
  checkInput(input);
  const workflowId = workflowInfo().workflowId;
  const state: SymbolTraderState = input.state
    ? { ...input.state, runs: input.state.runs + 1, phase: 'RECONCILING' }
    : freshState(input);
  let unflushed: TradeLogRow[] = input.state ? [...(input.state.pendingRows ?? [])] : [];
  const seen = new Set(state.seenEventIds);

  // Signal handlers only take note; the main loop acts, so activities never run concurrently on one trade.
  const inbox = { events: [] as TradeEvent[], cancels: [] as CancelOrderSignal[], cancelPending: false };
  setHandler(orderEventSignal, (payload) => {
    inbox.events.push(...readEvents(payload));
  });
  setHandler(cancelOrderSignal, (request) => {
    inbox.cancels.push({ reason: request?.reason?.trim() || 'manual cancel' });
  });
  setHandler(stopSignal, (request) => {
    state.stopRequested = true;
    inbox.cancelPending ||= request?.cancelPending === true;
  });
  setHandler(stateQuery, () => ({ ...state, seenEventIds: [...state.seenEventIds], pendingRows: [...unflushed] }));

  let publishedStatus: string | null = null;
  let watchedFingerprint: string | null = null;
  publishSearchAttributes();

  // ---- start or resume: the exchange may have moved while nobody was looking
  await reconcile();
  await flushJournal();

  // ---- the loop: wait for the cycle's due time, reacting at once to anything that arrives
  let cyclesThisRun = 0;
  const maxCycles = input.maxCyclesPerRun ?? DEFAULT_MAX_CYCLES_PER_RUN;
  for (;;) {
    state.phase = 'WAITING';
    const wait = state.nextCycleAt - Date.now();
    const due = wait <= 0 || !(await condition(() => hasWork(), wait)) || Date.now() >= state.nextCycleAt;
    await handleInbox();
    await flushJournal();
    if (state.stopRequested) break;
    if (due) {
      await runCycle();
      cyclesThisRun++;
      await handleInbox();
      await flushJournal();
      if (state.stopRequested) break;
    }
    if (cyclesThisRun >= maxCycles || workflowInfo().continueAsNewSuggested) {
      await handleInbox();
      await flushJournal();
      if (!hasWork()) {
        return continueAsNew<typeof symbolTrader>({ ...input, state: carryOver() });
      }
    }
  }

  // ---- stop: finish cleanly; an ACTIVE position keeps its stop and targets on the exchange
  state.phase = 'STOPPING';
  await handleInbox();
  const trade = state.trade;
  if (trade?.status === 'PENDING' && inbox.cancelPending) {
    journal('CONTROL', 'stop: cancelling the PENDING entry as asked', trade);
    const cancelled = await attempt('cancelling the PENDING entry on stop', () => orders.cancelPendingOrder({ trade, reason: 'symbol stopped' }));
    if (cancelled) await adopt(cancelled);
  } else if (trade?.status === 'PENDING') {
    journal('CONTROL', 'stop: the PENDING entry stays on the exchange (stop with cancelPending to cancel it); start the symbol again to track it', trade);
  } else if (trade?.status === 'ACTIVE') {
    journal('CONTROL', `stop: the ACTIVE position keeps its stop ${trade.stopLossPrice} and targets ${trade.takeProfitPrices.join('/')} on the exchange`, trade);
  } else {
    journal('CONTROL', 'stop: no open trade');
  }
  await watchCurrentTrade();
  await flushJournal();
  state.phase = 'STOPPED';
  return { ...state, seenEventIds: [...state.seenEventIds], pendingRows: unflushed };

  // ===========================================================================================

  async function reconcile(): Promise<void> {
    state.phase = 'RECONCILING';
    state.reconcileNeeded = true;
    const result = await attempt('reconcileSymbol', () => bookkeeping.reconcileSymbol({ symbol: state.symbol, trade: openTrade() }));
    if (!result) return;
    state.reconcileNeeded = false;
    for (const line of result.report) journal('RECONCILE', line);
    if (!result.trade && isOpen(state.trade)) {
      journal('RECONCILE', `the exchange knows nothing of ${state.trade.id}: it is no longer tracked`, state.trade);
      setTrade(null);
    }
    await adopt(result);
    await watchCurrentTrade();
  }

  async function runCycle(): Promise<void> {
    state.phase = 'IN_CYCLE';
    const sequence = ++state.sequence;
    const startedAt = Date.now();
    state.lastCycleAt = startedAt;
    state.nextCycleAt = nextDueTime(state.nextCycleAt, input.cycleIntervalMs, startedAt);
    if (state.reconcileNeeded) await reconcile();
    await watchCurrentTrade(true);

    let snapshot;
    try {
      snapshot = await whileHandlingEvents(market.fetchMarketData({ symbol: state.symbol }));
    } catch (err) {
      recordDecision(sequence, failedDecision('MARKET_DATA_FAILED', `market data unavailable: ${failureMessage(err)}`), 'NOT_EXECUTED');
      return;
    }
    await handleEvents();

    const seenByStrategist = openTrade();
    let decision: CycleDecision;
    try {
      decision = await whileHandlingEvents(strategist.askStrategist({ symbol: state.symbol, sequence, trade: openTrade(), market: snapshot }));
    } catch (err) {
      decision = failedDecision('STRATEGIST_FAILED', `the strategist failed: ${failureMessage(err)}`);
    }
    await handleEvents();

    const command = decision.command;
    if (command.action === 'DO_NOTHING') {
      recordDecision(sequence, decision, 'NOTHING_TO_DO');
      return;
    }
    if (state.stopRequested) {
      recordDecision(sequence, decision, 'NOT_EXECUTED', 'stop requested before the command was carried out');
      return;
    }
    if (!sameTradeState(seenByStrategist, openTrade())) {
      // An order event moved the trade while the strategist was thinking: its command is stale.
      recordDecision(sequence, decision, 'NOT_EXECUTED', `the trade changed to ${describeTrade(state.trade)} while the strategist was deciding`);
      return;
    }
    recordDecision(sequence, decision);
    let result: OmsResult;
    try {
      result = await orders.executeAiCommand({
        symbol: state.symbol,
        sequence,
        command,
        trade: openTrade(),
        lastPrice: snapshot.last,
        now: Date.now(),
      });
    } catch (err) {
      // Orders may or may not rest now: reconcile at once rather than guess.
      if (!(err instanceof ActivityFailure)) throw err;
      setOutcome('FAILED', `the OMS failed: ${failureMessage(err)}`);
      journal('REJECTION', `${command.action} failed in the OMS: ${failureMessage(err)}; reconciling with the exchange`, state.trade ?? undefined, command.action);
      await reconcile();
      return;
    }
    const detail = result.outcome === 'REJECTED' ? result.rejection?.reason ?? 'rejected by the OMS' : describeOmsResult(command, result);
    setOutcome(result.outcome, detail);
    journal(result.outcome === 'REJECTED' ? 'REJECTION' : 'ORDER', `${command.action} ${result.outcome}: ${detail}`, result.trade ?? state.trade ?? undefined, command.action);
    await adopt(result);
  }

  /**
   * An activity that failed for good must not end the symbol's workflow (nobody would watch the
   * trade any more): the failure is recorded, and the next cycle starts by reconciling with the
   * exchange, which repairs what was left half done (e.g. protects a filled entry).
   */
  async function attempt<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      state.lastError = `${what}: ${failureMessage(err)}`;
      state.reconcileNeeded = true;
      journal('REJECTION', `${what} failed: ${failureMessage(err)}; the next cycle reconciles with the exchange`, state.trade ?? undefined, what);
      return undefined;
    }
  }

  function openTrade(): Trade | null {
    return isOpen(state.trade) ? state.trade : null;
  }

  /** order events and manual cancels that arrived, in arrival order of kind */
  async function handleInbox(): Promise<void> {
    while (inbox.events.length > 0 || inbox.cancels.length > 0) {
      await handleEvents();
      const cancel = inbox.cancels.shift();
      if (cancel) await cancelByHand(cancel.reason ?? 'manual cancel');
    }
    await watchCurrentTrade();
  }

  /**
   * Order events are handled while a read-only step (market data, the strategist) is in flight: a
   * fill during a slow LLM call is protected at once, not after the call. The OMS steps never run
   * concurrently with this, so the trade has one writer at a time.
   */
  async function whileHandlingEvents<T>(step: Promise<T>): Promise<T> {
    let done = false;
    step.then(
      () => (done = true),
      () => (done = true),
    );
    for (;;) {
      await condition(() => done || inbox.events.length > 0);
      if (inbox.events.length === 0) return step;
      await handleEvents();
    }
  }

  async function handleEvents(): Promise<void> {
    while (inbox.events.length > 0) {
      const events = inbox.events.splice(0, inbox.events.length);
      await applyEvents(events);
    }
  }

  async function cancelByHand(reason: string): Promise<void> {
    const trade = state.trade;
    if (trade?.status !== 'PENDING') {
      const why = trade?.status === 'ACTIVE'
        ? `trade ${trade.id} is ACTIVE: a filled position is not cancelled, it keeps its stop and targets`
        : 'there is no PENDING entry';
      journal('CONTROL', `cancelOrder (${reason}) ignored: ${why}`, trade ?? undefined);
      return;
    }
    journal('CONTROL', `cancelOrder: ${reason}`, trade, 'CANCEL_ORDER');
    const result = await attempt(`cancelOrder (${reason})`, () => orders.cancelPendingOrder({ trade, reason }));
    if (result) await adopt(result);
  }

  /**
   * Take an OMS (or reconcile) result. The OMS returns the trade with its events already applied;
   * the events still go through this workflow's state machine, from the trade as it was before
   * the call, so that every transition is journaled and every effect carried out here (effects
   * are idempotent: protection the OMS already placed is found, not placed twice). The OMS's view
   * of the order refs is kept, and a status it reports that its events do not explain wins.
   */
  async function adopt(result: { trade: Trade | null; events: TradeEvent[]; alerts?: string[] }): Promise<void> {
    await applyEvents(takeOmsTrade(result));
  }

  function takeOmsTrade(result: { trade: Trade | null; events: TradeEvent[]; alerts?: string[] }): TradeEvent[] {
    const next = result.trade;
    for (const alert of result.alerts ?? []) journal('ORDER', `alert: ${alert}`, next ?? state.trade ?? undefined);
    if (!next) return result.events;
    let base: Trade = state.trade?.id === next.id ? { ...state.trade, orders: next.orders } : beforeEvents(next, result.events);
    const expected = result.events.reduce((t, e) => (e.tradeId === t.id ? applyTradeEvent(t, e).trade : t), base);
    if (expected.status !== next.status) {
      journal('TRANSITION', `${base.status}->${next.status} as the OMS reports it`, next, `${base.status}->${next.status}`);
      base = next;
    }
    setTrade(base);
    return result.events;
  }

  /** the state machine decides; this carries out its effects, which may produce further events */
  async function applyEvents(events: readonly TradeEvent[]): Promise<void> {
    const queue = [...events];
    for (let event = queue.shift(); event; event = queue.shift()) {
      if (seen.has(event.eventId)) continue;
      remember(event.eventId);
      if (!state.trade) {
        log.warn('order event without a trade', { eventId: event.eventId, type: event.type, tradeId: event.tradeId });
        continue;
      }
      const transition = applyTradeEvent(state.trade, event);
      if (transition.ignored) {
        log.info('order event ignored', { eventId: event.eventId, reason: transition.ignored });
        continue;
      }
      setTrade(transition.trade);
      for (const effect of transition.effects) queue.push(...(await carryOut(effect, event)));
    }
  }

  async function carryOut(effect: TradeEffect, cause: TradeEvent): Promise<TradeEvent[]> {
    const trade = state.trade;
    if (effect.type === 'JOURNAL') {
      const action = effect.from === effect.to ? cause.type : `${effect.from}->${effect.to}`;
      journal('TRANSITION', effect.detail, trade ?? undefined, action);
      return [];
    }
    if (!trade || trade.id !== effect.tradeId) return [];
    const result = await attempt(effect.type, () =>
      effect.type === 'ENSURE_PROTECTION'
        ? protection.ensureProtection({ trade, quantity: effect.quantity })
        : effect.type === 'CANCEL_ENTRY'
          ? orders.cancelPendingOrder({ trade, reason: `remainder of the entry is no longer wanted (${cause.type})` })
          : orders.cancelProtection({ trade, reason: `trade is ${trade.status}` }),
    );
    return result ? takeOmsTrade(result) : [];
  }

  function setTrade(trade: Trade | null): void {
    state.trade = trade;
    publishSearchAttributes();
  }

  function publishSearchAttributes(): void {
    const status = state.trade?.status ?? 'NONE';
    if (status === publishedStatus) return;
    upsertSearchAttributes([
      { key: SymbolKey, value: state.symbol },
      { key: TradingModeKey, value: state.mode },
      { key: TradeStatusKey, value: status },
    ]);
    publishedStatus = status;
  }

  /** the monitor learns every change of the trade's orders (and, after a restart, the open trade again) */
  async function watchCurrentTrade(everyCycle = false): Promise<void> {
    const trade = state.trade;
    if (!trade) return;
    const fingerprint = JSON.stringify([trade.id, trade.status, trade.orders]);
    // Once a cycle an open trade is re-sent even unchanged: a monitor that was terminated is started
    // again by the signal-with-start, so no open trade goes unwatched for longer than one cycle.
    if (fingerprint === watchedFingerprint && !(everyCycle && isOpen(trade))) return;
    if (watchedFingerprint === null && !isOpen(trade)) {
      watchedFingerprint = fingerprint;
      return;
    }
    try {
      await bookkeeping.watchOrders({ trade });
      watchedFingerprint = fingerprint;
    } catch (err) {
      // tried again at the next change or cycle; the trade's own protection rests on the exchange meanwhile
      if (!(err instanceof ActivityFailure)) throw err;
      state.lastError = `watchOrders: ${failureMessage(err)}`;
    }
  }

  function recordDecision(sequence: number, decision: CycleDecision, outcome?: DecisionSummary['outcome'], outcomeDetail?: string): void {
    const command = decision.command;
    state.lastDecision = {
      sequence,
      at: Date.now(),
      action: command.action,
      command,
      source: decision.source,
      accepted: decision.accepted,
      ...(decision.rejection ? { rejection: decision.rejection } : {}),
      ...(outcome ? { outcome } : {}),
      ...(outcomeDetail ? { outcomeDetail } : {}),
    };
    journal('DECISION', describeCommand(command), state.trade ?? undefined, command.action, sequence);
    if (decision.rejection) {
      const r = decision.rejection;
      journal('REJECTION', `${r.stage}/${r.code}: ${r.reason}`, state.trade ?? undefined, command.action, sequence);
    }
    if (outcome === 'NOT_EXECUTED' && outcomeDetail) journal('DECISION', `not carried out: ${outcomeDetail}`, state.trade ?? undefined, command.action, sequence);
  }

  function setOutcome(outcome: DecisionSummary['outcome'], detail: string): void {
    if (state.lastDecision) state.lastDecision = { ...state.lastDecision, outcome, outcomeDetail: detail };
  }

  function journal(kind: TradeLogKind, detail: string, trade?: Trade, action?: string, sequence = state.sequence): void {
    const n = state.journalSeq++;
    unflushed.push({
      id: `${workflowId}:${n}`,
      at: Date.now(),
      symbol: state.symbol,
      kind,
      sequence,
      ...(trade ? { tradeId: trade.id, status: trade.status } : {}),
      ...(action ? { action } : {}),
      detail: oneLine(detail),
    });
  }

  async function flushJournal(): Promise<void> {
    if (unflushed.length === 0) return;
    const rows = unflushed;
    try {
      await bookkeeping.appendTradeLog({ rows });
      unflushed = unflushed.slice(rows.length);
    } catch (err) {
      // Temporal's history is the authoritative record; the CSV catches up on the next flush.
      state.lastError = `trade log not written: ${failureMessage(err)}`;
      unflushed = unflushed.slice(-UNFLUSHED_ROWS_LIMIT);
    }
  }

  function remember(eventId: string): void {
    seen.add(eventId);
    state.seenEventIds.push(eventId);
    if (state.seenEventIds.length > SEEN_EVENT_IDS_LIMIT) {
      for (const old of state.seenEventIds.splice(0, state.seenEventIds.length - SEEN_EVENT_IDS_LIMIT)) seen.delete(old);
    }
  }

  function hasWork(): boolean {
    return inbox.events.length > 0 || inbox.cancels.length > 0 || state.stopRequested;
  }

  function carryOver(): SymbolTraderState {
    return { ...state, seenEventIds: [...state.seenEventIds], pendingRows: [...unflushed] };
  }
}

// ---------------------------------------------------------------------------------------------

/** a bad start fails the workflow at once with a reason, instead of looping on nonsense */
function checkInput(input: SymbolTraderInput): void {
  const problems: string[] = [];
  if (!input || typeof input.symbol !== 'string' || !/^[A-Z0-9]{5,20}$/.test(input.symbol)) {
    problems.push(`symbol must be canonical like BTCUSDT, got ${JSON.stringify(input?.symbol)}`);
  }
  if (!(Number.isFinite(input?.cycleIntervalMs) && input.cycleIntervalMs >= MIN_CYCLE_INTERVAL_MS)) {
    problems.push(`cycleIntervalMs must be at least ${MIN_CYCLE_INTERVAL_MS} ms, got ${JSON.stringify(input?.cycleIntervalMs)}`);
  }
  if (input?.maxCyclesPerRun !== undefined && !(Number.isInteger(input.maxCyclesPerRun) && input.maxCyclesPerRun >= 1)) {
    problems.push(`maxCyclesPerRun must be a whole number >= 1, got ${JSON.stringify(input.maxCyclesPerRun)}`);
  }
  if (problems.length > 0) throw ApplicationFailure.nonRetryable(`symbolTrader input: ${problems.join('; ')}`, 'InvalidTraderInput');
}

/** a trade the OMS just created, as it was before its own events (new trades start PENDING) */
function beforeEvents(trade: Trade, events: readonly TradeEvent[]): Trade {
  const ids = new Set(events.filter((e) => e.tradeId === trade.id).map((e) => e.eventId));
  if (ids.size === 0) return trade;
  const { activatedAt: _a, closedAt: _c, closeReason: _r, realizedPnl: _p, fees: _f, entryEndedAt: _e, ...rest } = trade;
  return {
    ...rest,
    status: 'PENDING',
    entryFills: trade.entryFills.filter((f) => !ids.has(f.eventId)),
    exitFills: trade.exitFills.filter((f) => !ids.has(f.eventId)),
    appliedEventIds: (trade.appliedEventIds ?? []).filter((id) => !ids.has(id)),
  };
}

function freshState(input: SymbolTraderInput): SymbolTraderState {
  return {
    symbol: input.symbol,
    mode: input.mode,
    phase: 'RECONCILING',
    trade: null,
    sequence: 0,
    nextCycleAt: Date.now(),
    lastCycleAt: null,
    lastDecision: null,
    seenEventIds: [],
    journalSeq: 0,
    runs: 1,
    lastError: null,
    stopRequested: false,
    pendingRows: [],
  };
}

/** signal payloads may be typed by hand: keep what looks like an event, log the rest */
function readEvents(payload: unknown): TradeEvent[] {
  const items = Array.isArray(payload) ? payload : [payload];
  const events: TradeEvent[] = [];
  for (const item of items) {
    if (item && typeof item === 'object' && typeof item.eventId === 'string' && typeof item.tradeId === 'string' && typeof item.type === 'string') {
      events.push(item as TradeEvent);
    } else {
      log.warn('orderEvent signal: not an order event, dropped', { item: JSON.stringify(item)?.slice(0, 200) ?? String(item) });
    }
  }
  return events;
}

/** a strategist's answer, or the workflow's own DO_NOTHING when a step failed */
type CycleDecision = Omit<StrategistDecision, 'source'> & { source: DecisionSummary['source'] };

function failedDecision(code: string, reason: string): CycleDecision {
  return {
    command: { action: 'DO_NOTHING', reasoning: reason },
    source: 'workflow',
    accepted: false,
    rejection: { stage: 'activity', code, reason },
  };
}

function failureMessage(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

function sameTradeState(a: Trade | null, b: Trade | null): boolean {
  return (a?.id ?? null) === (b?.id ?? null) && (a?.status ?? null) === (b?.status ?? null);
}

function describeTrade(trade: Trade | null): string {
  return trade ? `${trade.status} ${trade.id}` : 'no trade';
}

function describeCommand(command: AiCommand): string {
  switch (command.action) {
    case 'PLAN_TRADE': {
      const s = command.trade_setup;
      return (
        `${s.direction} ${s.symbol} entry ${s.entry_price} stop ${s.stop_loss_price} targets ${s.take_profit_prices.join('/')} ` +
        `size ${s.position_size_percent}%` + (command.reasoning ? `: ${command.reasoning}` : '')
      );
    }
    case 'CANCEL_ORDER':
      return `cancel ${command.order_id}: ${command.reasoning}`;
    case 'ADJUST_TRADE':
      return (
        `adjust ${command.order_id}: stop ${command.new_stop_loss_price}` +
        (command.new_take_profit_prices ? ` targets ${command.new_take_profit_prices.join('/')}` : '') +
        `: ${command.reasoning}`
      );
    case 'DO_NOTHING':
      return command.reasoning;
  }
}

function describeOmsResult(command: AiCommand, result: OmsResult): string {
  const trade = result.trade;
  if (!trade) return command.action;
  const legs = trade.orders.map((o) => `${o.role} ${o.clientOrderId}${o.exchangeOrderId ? ` (#${o.exchangeOrderId})` : ''}`).join(', ');
  return `${trade.id} ${trade.status}${legs ? `; orders: ${legs}` : ''}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
