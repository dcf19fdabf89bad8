import { condition, setHandler } from '@temporalio/workflow';
import type { TradeEvent } from '../domain/events';
import type { OmsResult } from '../domain/omsResult';
import { isOpen, type Trade } from '../domain/trade';
import { portfolioHaltSignal } from '../contract/portfolioApi';
import { cancelOrderSignal, orderEventSignal, reconcileNowSignal, stopSignal } from '../contract/signals';
import type { SymbolTraderState } from '../contract/traderState';
import type { TraderControls } from './controls';
import { readEvents, type Inbox } from './inbox';
import type { ReconcileSchedule } from './reconcileSchedule';
import { cycleTimerSummary } from './summaries';
import type { EnvelopeOps, TraderEnvelope } from './traderEnvelope';
import type { TradeVisibility } from './tradeVisibility';

/** what the trader does with what woke it: its own parts and steps, handed in */
export interface WakePorts extends EnvelopeOps {
  envelope: TraderEnvelope;
  schedule: ReconcileSchedule;
  visibility: TradeVisibility;
  controls: TraderControls;
  /** the OMS's cancel of the PENDING entry (cancelPendingOrder with its summary) */
  cancelEntry(trade: Trade, reason: string): Promise<OmsResult>;
  /** order events through the trade state machine (the trader core) */
  applyEvents(events: readonly TradeEvent[]): Promise<void>;
}

/**
 * What wakes the symbol trader, and taking in what woke it. Between cycles it sleeps on one durable
 * timer, until the earliest of its next cycle, its PENDING entry's expiry (the envelope) and the
 * periodic reconciliation of an open trade; anything that arrives wakes it at once: order events
 * (the order monitor's fills, cancels and expiries), cancelOrder, stop, a portfolio halt,
 * reconcileNow, and the cancelEntry / stopTrader Updates (src/workflows/controls.ts puts theirs in
 * the same inbox). Handlers only take note; the main loop acts, so activities never run
 * concurrently on one trade. While a read-only step runs, order events are taken at once.
 */
export class TraderWake {
  constructor(
    private readonly state: SymbolTraderState,
    private readonly inbox: Inbox,
    private readonly ports: WakePorts,
  ) {}

  /** the signal handlers: each only takes note */
  listen(): void {
    const { inbox, state, ports } = this;
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
    setHandler(portfolioHaltSignal, (notice) => ports.envelope.noteHalt(notice));
    setHandler(reconcileNowSignal, (request) => ports.schedule.request(request));
  }

  /**
   * Wait for the next wake-up: true when the cycle is due (its time has come, or its timer fired),
   * false when something arrived or an earlier deadline (entry expiry, reconciliation) came first.
   */
  async sleep(): Promise<boolean> {
    const { state, ports } = this;
    state.phase = 'WAITING';
    // the next cycle, or sooner an envelope deadline (a PENDING entry expiring) that is not a cycle
    const envelopeWake = ports.envelope.wakeAt(state.nextCycleAt);
    const wakeAt = ports.schedule.wakeAt(envelopeWake, isOpen(state.trade));
    const wait = wakeAt - Date.now();
    ports.visibility.showDetails();
    const timer = { summary: cycleTimerSummary(state.nextCycleAt, envelopeWake, state.lastDecision, state.trade) };
    const timedOut = wait <= 0 || !(await condition(() => this.hasWork(), wait, timer));
    return Date.now() >= state.nextCycleAt || (timedOut && wakeAt === state.nextCycleAt);
  }

  /** something the loop must act on before it sleeps again (or continues as new) */
  hasWork(): boolean {
    const { inbox, state, ports } = this;
    return inbox.events.length > 0 || inbox.cancels.length > 0 || state.stopRequested || ports.envelope.hasWork() || ports.schedule.requested();
  }

  /** what arrived, in arrival order of kind: order events, manual cancels, halts; then the envelope's deadlines and the monitor's registration */
  async handleInbox(): Promise<void> {
    const { inbox, state, ports } = this;
    while (inbox.events.length > 0 || inbox.cancels.length > 0 || ports.envelope.hasWork()) {
      await this.handleEvents();
      const cancel = inbox.cancels.shift();
      if (cancel) {
        const before = state.trade;
        const errorBefore = state.lastError;
        await this.#cancelByHand(cancel.reason ?? 'manual cancel');
        ports.controls.cancelHandled(cancel.ticket, before, state.trade, state.lastError !== errorBefore ? state.lastError : null);
      }
      await ports.envelope.handleHalts();
    }
    await ports.envelope.expireEntry();
    await ports.visibility.watchCurrentTrade();
    await ports.envelope.settle();
  }

  /**
   * Order events are handled while a read-only step (market data, the strategist) is in flight: a
   * fill during a slow LLM call is protected at once, not after the call. The OMS steps never run
   * concurrently with this, so the trade has one writer at a time.
   */
  async whileHandlingEvents<T>(step: Promise<T>): Promise<T> {
    let done = false;
    step.then(
      () => (done = true),
      () => (done = true),
    );
    for (;;) {
      await condition(() => done || this.inbox.events.length > 0);
      if (this.inbox.events.length === 0) return step;
      await this.handleEvents();
    }
  }

  async handleEvents(): Promise<void> {
    while (this.inbox.events.length > 0) {
      const events = this.inbox.events.splice(0, this.inbox.events.length);
      await this.ports.applyEvents(events);
    }
  }

  /** a cancelOrder signal or cancelEntry Update: only a PENDING entry is cancelled */
  async #cancelByHand(reason: string): Promise<void> {
    const { journal, attempt, cancelEntry, adopt } = this.ports;
    const trade = this.state.trade;
    if (trade?.status !== 'PENDING') {
      const why = trade?.status === 'ACTIVE'
        ? `trade ${trade.id} is ACTIVE: a filled position is not cancelled, it keeps its stop and targets`
        : 'there is no PENDING entry';
      journal('CONTROL', `cancelOrder (${reason}) ignored: ${why}`, trade ?? undefined);
      return;
    }
    journal('CONTROL', `cancelOrder: ${reason}`, trade, 'CANCEL_ORDER');
    const result = await attempt(`cancelOrder (${reason})`, () => cancelEntry(trade, reason));
    if (result) await adopt(result);
  }
}
