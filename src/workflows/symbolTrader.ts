import { ActivityFailure, allHandlersFinished, condition, continueAsNew, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { OmsResult } from '../domain/omsResult';
import type { TradeEvent } from '../domain/events';
import { tradeSequenceOf } from '../domain/newTrade';
import { isOpen, type Trade } from '../domain/trade';
import { market, orders, protection, reconciliation, strategist } from './activities';
import { CycleClock } from './cycleClock';
import { failedDecision, orderColumns, recordDecision, setOutcome, type CycleDecision } from './decisions';
import { describeOmsResult, describeTrade, failureMessage } from './describe';
import { emptyInbox } from './inbox';
import { sameTradeState } from './omsResults';
import { SeenEvents } from './seenEvents';
import { stateQuery } from '../contract/signals';
import type { SymbolTraderInput, SymbolTraderState } from '../contract/traderState';
import { stopCancelText, TraderControls } from './controls';
import { checkInput, startingState } from './traderStart';
import { TradeKeeper, type TradeResult } from './tradeKeeper';
import { TradeLogOutbox } from './tradeLogOutbox';
import { TraderEnvelope } from './traderEnvelope';
import { TraderWake } from './traderWake';
import { TradeVisibility } from './tradeVisibility';
import * as summary from './summaries';
import { ReconcileSchedule } from './reconcileSchedule';

export const DEFAULT_MAX_CYCLES_PER_RUN = 200;
/** patch: no new trade before a reconciliation succeeded (it tells which trade ids are taken) */
const NEW_TRADE_ONLY_RECONCILED = 'new-trade-only-when-reconciled';
/** patch: a cycle that runs late (an outage of the worker or the server) catches up with the exchange before deciding */
const CATCH_UP_BEFORE_DECIDING = 'catch-up-before-deciding';
/**
 * A cycle this late ran after an outage (its timer could not fire on time): fills may have
 * happened that no order event has brought yet. Normal scheduling is well within it.
 */
export const CATCH_UP_WHEN_LATE_MS = 10_000;
/** patch: cancel and stop also as Updates that answer with what happened (src/workflows/controls.ts) */
const CONTROL_UPDATES = 'cancel-stop-updates';
/** patch: protection placed by an ENSURE_PROTECTION step writes ORDER rows of its own */
const PROTECTION_ORDER_ROWS = 'protection-order-rows';

/**
 * One symbol, forever: reconcile with the exchange, then every cycle ask the strategist for one
 * command and have the OMS carry it out, while order events, a manual cancel and stop are handled
 * the moment they arrive. Change the logic only behind `patched()`: histories in
 * test/fixtures/histories must keep replaying.
 */
export async function symbolTrader(input: SymbolTraderInput): Promise<SymbolTraderState> {
  checkInput(input);
  const state = startingState(input);
  const tradeLog = new TradeLogOutbox(state, input.state?.pendingRows ?? []);
  const journal = tradeLog.add.bind(tradeLog);
  const seen = new SeenEvents(state);
  const visibility = new TradeVisibility(state, input);
  // the trader core (shared with the backtest): OMS results and order events through the state machine
  const keeper = new TradeKeeper({
    getTrade: () => state.trade,
    setTrade: (trade) => setTrade(trade),
    journal,
    seen,
    log,
    attempt: (what, work) => attempt(what, work),
    // every step carries its one-line summary for the Web UI's timeline (src/workflows/summaries.ts)
    ensureProtection: (i) => protection.ensureProtection.executeWithOptions({ summary: summary.protectionSummary(i.trade, i.quantity) }, [i]),
    cancelPendingOrder: (i) => cancelEntry(i.trade, i.reason),
    cancelProtection: (i) => orders.cancelProtection.executeWithOptions({ summary: summary.cancelProtectionSummary(i.trade, i.reason) }, [i]),
    protectionOrderRows: () => patched(PROTECTION_ORDER_ROWS),
  });
  const envelope = new TraderEnvelope(state, input.envelope, { journal, attempt, adopt });
  const schedule = new ReconcileSchedule(state, input);
  const cycles = new CycleClock(state, input);

  // Signal handlers only take note; the main loop acts, so activities never run concurrently on one trade.
  const inbox = emptyInbox();
  const controls = new TraderControls(state, inbox);
  const wake = new TraderWake(state, inbox, { envelope, schedule, visibility, controls, journal, attempt, adopt, cancelEntry, applyEvents });
  wake.listen();
  setHandler(stateQuery, () => currentState());
  const updates = patched(CONTROL_UPDATES);
  if (updates) controls.register();

  visibility.publishSearchAttributes();
  visibility.showDetails();

  // ---- start or resume: the exchange may have moved while nobody was looking
  await reconcile();
  await tradeLog.flush();

  // ---- the loop: wait for the cycle's due time, reacting at once to anything that arrives
  let cyclesThisRun = 0;
  const maxCycles = input.maxCyclesPerRun ?? DEFAULT_MAX_CYCLES_PER_RUN;
  for (;;) {
    const due = await wake.sleep();
    await wake.handleInbox();
    await tradeLog.flush();
    if (state.stopRequested) break;
    const reconcileWhy = schedule.due(Date.now(), isOpen(state.trade));
    if (reconcileWhy) {
      // continuous reconciliation: the exchange is compared with the trade between cycles too
      await reconcile(reconcileWhy);
      await wake.handleInbox();
      await tradeLog.flush();
    }
    if (due) {
      await runCycle();
      cyclesThisRun++;
      await wake.handleInbox();
      await tradeLog.flush();
      if (state.stopRequested) break;
    }
    if (cyclesThisRun >= maxCycles || workflowInfo().continueAsNewSuggested) {
      await wake.handleInbox();
      await tradeLog.flush();
      // an Update still answering its caller is not carried over: the next time round
      if (!wake.hasWork() && (!updates || allHandlersFinished())) {
        return continueAsNew<typeof symbolTrader>({ ...input, state: currentState() });
      }
    }
  }

  // ---- stop: finish cleanly; an ACTIVE position keeps its stop and targets on the exchange
  state.phase = 'STOPPING';
  visibility.showDetails();
  await wake.handleInbox();
  const trade = state.trade;
  let stopped: string;
  if (trade?.status === 'PENDING' && inbox.cancelPending) {
    journal('CONTROL', 'stop: cancelling the PENDING entry as asked', trade);
    const cancelled = await attempt('cancelling the PENDING entry on stop', () => cancelEntry(trade, 'symbol stopped'));
    if (cancelled) await adopt(cancelled);
    stopped = `stopped: the PENDING entry of ${trade.id} is ${stopCancelText(trade.id, state.trade, state.lastError)}`;
  } else if (trade?.status === 'PENDING') {
    stopped = 'stop: the PENDING entry stays on the exchange (stop with cancelPending to cancel it); start the symbol again to track it';
    journal('CONTROL', stopped, trade);
  } else if (trade?.status === 'ACTIVE') {
    stopped = `stop: the ACTIVE position keeps its stop ${trade.stopLossPrice} and targets ${trade.takeProfitPrices.join('/')} on the exchange`;
    journal('CONTROL', stopped, trade);
  } else {
    stopped = 'stop: no open trade';
    journal('CONTROL', stopped);
  }
  await visibility.watchCurrentTrade();
  await tradeLog.flush();
  state.phase = 'STOPPED';
  visibility.showDetails();
  if (updates) {
    controls.stopped(stopped, state.trade);
    await condition(allHandlersFinished);
  }
  return currentState();

  // ===========================================================================================

  async function reconcile(why?: string): Promise<void> {
    const phase = state.phase;
    state.phase = 'RECONCILING';
    state.reconcileNeeded = true;
    visibility.showDetails();
    const args = { symbol: state.symbol, trade: openTrade() };
    const result = await attempt('reconcileSymbol', () => reconciliation.reconcileSymbol.executeWithOptions({ summary: summary.reconcileSummary(args.symbol, args.trade) }, [args]));
    if (why !== undefined) state.phase = phase;
    if (!result) return;
    state.reconcileNeeded = false;
    if (schedule.enabled) {
      state.lastReconciliation = { at: Date.now(), reason: why ?? 'start', findings: result.findings ?? [] };
      schedule.done(Date.now());
    }
    if (why !== undefined && result.report.length > 0) journal('RECONCILE', `reconciliation (${why}) found ${result.report.length} difference(s) with the exchange`, state.trade ?? undefined);
    for (const line of result.report) journal('RECONCILE', line);
    continueAfter(Math.max(result.highestSequence ?? 0, result.trade ? (tradeSequenceOf(result.trade.id, state.symbol) ?? 0) : 0));
    if (!result.trade && isOpen(state.trade)) {
      journal('RECONCILE', `the exchange knows nothing of ${state.trade.id}: it is no longer tracked`, state.trade);
      setTrade(null);
    }
    await adopt(result);
    await visibility.watchCurrentTrade();
  }

  async function runCycle(): Promise<void> {
    state.phase = 'IN_CYCLE';
    const startedAt = Date.now();
    const lateBy = startedAt - state.nextCycleAt;
    state.lastCycleAt = startedAt;
    state.nextCycleAt = cycles.next(state.nextCycleAt, startedAt);
    if (lateBy > CATCH_UP_WHEN_LATE_MS && !state.reconcileNeeded && isOpen(state.trade) && patched(CATCH_UP_BEFORE_DECIDING)) {
      // the decision must see the fills of the outage, not the state from before it
      journal('RECONCILE', `cycle ${Math.round(lateBy / 1000)} s late (the worker or the Temporal server was down): catching up with the exchange before deciding`, state.trade);
      state.reconcileNeeded = true;
    }
    // before the cycle takes its sequence: the exchange may know trades this one must not reuse
    if (state.reconcileNeeded) await reconcile();
    const sequence = ++state.sequence;
    visibility.showDetails();
    await visibility.watchCurrentTrade(true);
    await envelope.expireEntry();

    let snapshot;
    try {
      const marketData = { summary: summary.marketDataSummary(state.symbol, state.lastPrice) };
      snapshot = await wake.whileHandlingEvents(market.fetchMarketData.executeWithOptions(marketData, [{ symbol: state.symbol }]));
    } catch (err) {
      recordDecision(state, tradeLog, sequence, failedDecision('MARKET_DATA_FAILED', `market data unavailable: ${failureMessage(err)}`), 'NOT_EXECUTED');
      return;
    }
    state.lastPrice = { price: snapshot.last, at: snapshot.at, timeframes: snapshot.timeframes.map((t) => t.timeframe) };
    tradeLog.observe(snapshot.at);
    visibility.showDetails();
    await wake.handleEvents();

    const seenByStrategist = openTrade();
    let decision: CycleDecision;
    try {
      const asked = { summary: summary.strategistSummary(state.symbol, snapshot.last, openTrade()) };
      decision = await wake.whileHandlingEvents(strategist.askStrategist.executeWithOptions(asked, [{ symbol: state.symbol, sequence, trade: openTrade(), market: snapshot }]));
    } catch (err) {
      decision = failedDecision('STRATEGIST_FAILED', `the strategist failed: ${failureMessage(err)}`);
    }
    await wake.handleEvents();

    const command = decision.command;
    if (command.action === 'DO_NOTHING') {
      recordDecision(state, tradeLog, sequence, decision, 'NOTHING_TO_DO');
      return;
    }
    if (state.stopRequested) {
      recordDecision(state, tradeLog, sequence, decision, 'NOT_EXECUTED', 'stop requested before the command was carried out');
      return;
    }
    if (!sameTradeState(seenByStrategist, openTrade())) {
      // An order event moved the trade while the strategist was thinking: its command is stale.
      recordDecision(state, tradeLog, sequence, decision, 'NOT_EXECUTED', `the trade changed to ${describeTrade(state.trade)} while the strategist was deciding`);
      return;
    }
    if (command.action === 'PLAN_TRADE' && state.reconcileNeeded && patched(NEW_TRADE_ONLY_RECONCILED)) {
      // Unreconciled, the exchange may hold orders of this very trade id from before a fresh start.
      recordDecision(state, tradeLog, sequence, decision, 'NOT_EXECUTED', 'no new trade until the exchange is reconciled (it tells which trade ids are taken)');
      return;
    }
    const refusal = command.action === 'PLAN_TRADE' ? await envelope.admit(sequence, command) : null;
    if (refusal) {
      // the risk envelope's word is final: nothing reaches the exchange
      recordDecision(state, tradeLog, sequence, decision, 'REJECTED', `${refusal.code}: ${refusal.reason}`);
      journal('REJECTION', `${refusal.code}: ${refusal.reason}`, undefined, refusal.code);
      return;
    }
    recordDecision(state, tradeLog, sequence, decision);
    visibility.showDetails();
    let result: OmsResult;
    try {
      result = await orders.executeAiCommand.executeWithOptions({ summary: summary.omsSummary(command) }, [
        {
          symbol: state.symbol,
          sequence,
          command,
          trade: openTrade(),
          lastPrice: snapshot.last,
          now: Date.now(),
        },
      ]);
    } catch (err) {
      // Orders may or may not rest now: reconcile at once rather than guess.
      if (!(err instanceof ActivityFailure)) throw err;
      setOutcome(state, 'FAILED', `the OMS failed: ${failureMessage(err)}`);
      journal('REJECTION', `${command.action} failed in the OMS: ${failureMessage(err)}; reconciling with the exchange`, state.trade ?? undefined, command.action);
      await reconcile();
      return;
    }
    const detail = result.outcome === 'REJECTED' ? result.rejection?.reason ?? 'rejected by the OMS' : describeOmsResult(command, result);
    setOutcome(state, result.outcome, detail);
    const orderTrade = result.trade ?? state.trade ?? undefined;
    const columns = result.outcome === 'REJECTED' || !orderTrade ? {} : orderColumns(command, orderTrade);
    journal(result.outcome === 'REJECTED' ? 'REJECTION' : 'ORDER', `${command.action} ${result.outcome}: ${detail}`, orderTrade, command.action, undefined, columns);
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
      visibility.showDetails();
      journal('REJECTION', `${what} failed: ${failureMessage(err)}; the next cycle reconciles with the exchange`, state.trade ?? undefined, what);
      return undefined;
    }
  }

  /** the next trade id comes after every trade the exchange has seen (after a fresh start too) */
  function continueAfter(highest: number): void {
    if (!(highest > state.sequence)) return;
    journal('RECONCILE', `trade sequence continues after ${highest}, not ${state.sequence}: the exchange has orders of trades up to ${highest}`);
    state.sequence = highest;
  }

  function openTrade(): Trade | null {
    return isOpen(state.trade) ? state.trade : null;
  }

  function cancelEntry(trade: Trade, reason: string): Promise<OmsResult> {
    return orders.cancelPendingOrder.executeWithOptions({ summary: summary.cancelEntrySummary(trade, reason) }, [{ trade, reason }]);
  }

  async function adopt(result: TradeResult): Promise<void> {
    await keeper.adopt(result);
  }

  async function applyEvents(events: readonly TradeEvent[]): Promise<void> {
    await keeper.applyEvents(events);
  }

  function setTrade(trade: Trade | null): void {
    state.trade = trade;
    visibility.publishSearchAttributes();
    visibility.showDetails();
  }

  /** the state as the query shows it, the next run takes it over and the workflow returns it */
  function currentState(): SymbolTraderState {
    return { ...state, seenEventIds: [...state.seenEventIds], pendingRows: tradeLog.unwritten() };
  }
}
