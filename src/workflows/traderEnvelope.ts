import { ActivityFailure, patched } from '@temporalio/workflow';
import type { OmsResult } from '../domain/omsResult';
import type { TradeLogKind } from '../domain/tradeLogRow';
import type { PlanTradeCommand } from '../domain/commands';
import { afterTradeEnded, countEntry, EMPTY_SYMBOL_BOOK, entryExpired, entryRefusal } from '../domain/envelope/entryRules';
import { flattenResultRow, haltSteps, type HaltNotice, type HaltRow, type HaltStep } from '../domain/envelope/haltReaction';
import { tradeIdFor } from '../domain/newTrade';
import { isOpen, type Trade } from '../domain/trade';
import { orders } from './activities';
import { failureMessage } from './describe';
import { slots } from './envelopeActivities';
import type { SymbolTraderState, TraderEnvelopeInput, TraderEnvelopeState } from '../contract/traderState';
import { cancelEntrySummary, releaseSlotSummary, requestSlotSummary } from './summaries';

/** patch: the risk envelope (entry expiry, cooldown, trades per day, portfolio slots, halts) */
export const RISK_ENVELOPE_PATCH = 'risk-envelope';
/** patch: flatten_on_halt, an ACTIVE position closed at market on a halt (the flattenPosition activity) */
export const FLATTEN_ON_HALT_PATCH = 'flatten-on-halt';

export interface EnvelopeOps {
  journal(kind: TradeLogKind, detail: string, trade?: Trade, action?: string): void;
  attempt<T>(what: string, work: () => Promise<T>): Promise<T | undefined>;
  adopt(result: OmsResult): Promise<void>;
}

export interface Refusal {
  code: string;
  reason: string;
}

/**
 * The symbol trader's part of the risk envelope, whatever the strategist says: a PENDING entry
 * past `entry_timeout` is cancelled, a new trade needs the symbol's own rules (cooldown after a
 * stop-out, trades per UTC day) AND a slot from the portfolio, a slot goes back when its trade
 * ends (or was never placed), and a halt from the portfolio cancels the PENDING entry.
 */
export class TraderEnvelope {
  readonly enabled: boolean;
  readonly #halts: HaltNotice[] = [];

  constructor(
    private readonly state: SymbolTraderState,
    private readonly input: TraderEnvelopeInput | undefined,
    private readonly ops: EnvelopeOps,
  ) {
    this.enabled = !!input && patched(RISK_ENVELOPE_PATCH);
    if (this.enabled) state.envelope ??= { heldSlot: null, releases: [], released: [], book: EMPTY_SYMBOL_BOOK, halt: null };
  }

  noteHalt(notice: HaltNotice): void {
    this.#halts.push(notice);
  }

  hasWork(): boolean {
    return this.#halts.length > 0;
  }

  /** when the trader must wake: its next cycle, or sooner when its PENDING entry expires */
  wakeAt(nextCycleAt: number): number {
    const trade = this.state.trade;
    if (!this.enabled || trade?.status !== 'PENDING') return nextCycleAt;
    return Math.min(nextCycleAt, trade.createdAt + this.input!.rules.entryTimeoutMs);
  }

  /** at every cycle's start and whenever the trader wakes: the engine cancels an entry that waited too long */
  async expireEntry(): Promise<void> {
    const trade = this.state.trade;
    if (!this.enabled || !trade || !entryExpired(trade, Date.now(), this.input!.rules)) return;
    const minutes = (ms: number) => `${Math.round(ms / 600) / 100} min`;
    const reason = `entry expired: PENDING for ${minutes(Date.now() - trade.createdAt)}, entry_timeout is ${minutes(this.input!.rules.entryTimeoutMs)}`;
    this.ops.journal('CONTROL', `${reason}; cancelling it`, trade, 'ENTRY_EXPIRED');
    const result = await this.ops.attempt('cancelling the expired entry', () => cancelEntry(trade, reason));
    if (result) await this.ops.adopt(result);
  }

  /** may this PLAN_TRADE be placed? The symbol's rules first, then a slot from the portfolio. */
  async admit(sequence: number, command: PlanTradeCommand): Promise<Refusal | null> {
    if (!this.enabled) return null;
    const env = this.#env();
    const own = entryRefusal(env.book, this.input!.rules, sequence, Date.now());
    if (own) return own;
    if (!this.input!.portfolio) return null;
    const tradeId = tradeIdFor(this.state.symbol, sequence);
    const setup = command.trade_setup;
    let decision;
    try {
      const request = { tradeId, symbol: this.state.symbol, sequence, entryPrice: setup.entry_price, positionSizePercent: setup.position_size_percent };
      decision = await slots.requestSlot.executeWithOptions({ summary: requestSlotSummary(tradeId, request.entryPrice, request.positionSizePercent) }, [request]);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      return { code: 'PORTFOLIO_UNAVAILABLE', reason: `no slot from the portfolio: ${failureMessage(err)}` };
    }
    if (!decision.granted) return { code: decision.code, reason: decision.reason };
    env.heldSlot = { tradeId };
    return null;
  }

  /**
   * After results and messages were taken: an ended trade gives its slot back (and a stop-out
   * starts the cooldown), a slot whose trade was never placed goes back, and releases that failed
   * before are tried again. Nothing is released while the exchange is not reconciled (orders of
   * a failed placement may rest there).
   */
  async settle(): Promise<void> {
    if (!this.enabled) return;
    const env = this.#env();
    const trade = this.state.trade;
    if (trade && isOpen(trade)) env.book = countEntry(env.book, trade.id, Date.now());
    if (trade && (trade.status === 'CLOSED' || trade.status === 'CANCELLED')) {
      env.book = afterTradeEnded(env.book, trade, this.state.sequence, this.input!.rules);
      this.#release(trade.id, `trade ${trade.id} is ${trade.status}`);
      if (env.heldSlot?.tradeId === trade.id) env.heldSlot = null;
    }
    if (env.heldSlot && env.heldSlot.tradeId !== trade?.id && !this.state.reconcileNeeded) {
      this.#release(env.heldSlot.tradeId, `trade ${env.heldSlot.tradeId} was not placed`);
      env.heldSlot = null;
    }
    await this.#flushReleases();
  }

  /** the portfolio HALTED: no PENDING entry stays; an ACTIVE position keeps its protection, or is flattened when asked (src/domain/envelope/haltReaction.ts) */
  async handleHalts(): Promise<void> {
    for (let notice = this.#halts.shift(); notice; notice = this.#halts.shift()) {
      if (this.state.envelope) this.state.envelope.halt = notice;
      // the flatten-on-halt marker is recorded only where a flatten would start, as it always was
      const options = { mayFlatten: () => patched(FLATTEN_ON_HALT_PATCH) };
      for (const step of haltSteps(() => this.state.trade, notice, options)) {
        if ('row' in step) this.#journal(step.row);
        await this.#carryOut(step);
      }
    }
  }

  /**
   * One step's OMS call. flatten_on_halt: a working remainder of the entry is cancelled first (no
   * new fill behind the close), then the OMS cancels the protection and closes the held quantity at
   * market with one deterministic client id (src/oms/flattenPosition.ts says why in that order).
   * Every order it touched becomes an ORDER row; the market fill closes the trade with the halt as
   * its reason.
   */
  async #carryOut(step: HaltStep): Promise<void> {
    let result: OmsResult | undefined;
    switch (step.step) {
      case 'CANCEL_ENTRY': {
        const { trade, reason } = step;
        result = await this.ops.attempt('cancelling the PENDING entry on a halt', () => cancelEntry(trade, reason));
        break;
      }
      case 'FLATTEN': {
        const { trade, reason } = step;
        if (step.cancelRemainder) result = await this.ops.attempt('cancelling the entry remainder before flattening', () => orders.cancelPendingOrder({ trade, reason }));
        break;
      }
      case 'CLOSE_AT_MARKET': {
        const { trade, reason } = step;
        result = await this.ops.attempt('flattening the position on a halt', () => orders.flattenPosition({ trade, reason }));
        if (result) this.#journal(flattenResultRow(result, trade));
        break;
      }
    }
    if (result) await this.ops.adopt(result);
  }

  #journal(row: HaltRow): void {
    this.ops.journal(row.kind, row.detail, row.trade, row.action);
  }

  #release(tradeId: string, reason: string): void {
    const env = this.#env();
    if (!this.input!.portfolio || env.released.includes(tradeId) || env.releases.some((r) => r.tradeId === tradeId)) return;
    env.releases.push({ tradeId, reason });
  }

  async #flushReleases(): Promise<void> {
    const env = this.#env();
    while (env.releases.length > 0) {
      const next = env.releases[0]!;
      try {
        await slots.releaseSlot.executeWithOptions({ summary: releaseSlotSummary(next.tradeId, next.reason) }, [next]);
      } catch (err) {
        // kept in the state (and carried over continue-as-new): tried again at the next settle
        if (!(err instanceof ActivityFailure)) throw err;
        this.state.lastError = `releaseSlot ${next.tradeId}: ${failureMessage(err)}`;
        return;
      }
      env.releases.shift();
      env.released = [...env.released, next.tradeId].slice(-100);
    }
  }

  #env(): TraderEnvelopeState {
    return this.state.envelope!;
  }
}

function cancelEntry(trade: Trade, reason: string): Promise<OmsResult> {
  return orders.cancelPendingOrder.executeWithOptions({ summary: cancelEntrySummary(trade, reason) }, [{ trade, reason }]);
}
