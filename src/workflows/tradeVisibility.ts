import { ActivityFailure, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { isOpen } from '../domain/trade';
import { bookkeeping } from './activities';
import { failureMessage } from './describe';
import { SymbolKey, TradeStatusKey, TradingModeKey } from '../contract/searchAttributes';
import type { SymbolTraderInput, SymbolTraderState } from '../contract/traderState';
import { watchSummary } from './summaries';
import { traderDetails } from './traderDetails';

/**
 * Who gets to see the trade: the Web UI through search attributes (upserted when the status
 * changes) and the current details (the card on the workflow's page, rewritten whenever the state
 * changes), and the order monitor through watchOrders (told of every change of the trade's orders,
 * and, after a restart, of the open trade again).
 */
export class TradeVisibility {
  #publishedStatus: string | null = null;
  #watchedFingerprint: string | null = null;

  constructor(
    private readonly state: SymbolTraderState,
    private readonly input: Pick<SymbolTraderInput, 'cycleIntervalMs' | 'envelope'>,
  ) {}

  /** the current-details card: no command, so it is free to rewrite at every change */
  showDetails(): void {
    setCurrentDetails(traderDetails(this.state, { now: Date.now(), cycleIntervalMs: this.input.cycleIntervalMs, rules: this.input.envelope?.rules }));
  }

  publishSearchAttributes(): void {
    const status = this.state.trade?.status ?? 'NONE';
    if (status === this.#publishedStatus) return;
    upsertSearchAttributes([
      { key: SymbolKey, value: this.state.symbol },
      { key: TradingModeKey, value: this.state.mode },
      { key: TradeStatusKey, value: status },
    ]);
    this.#publishedStatus = status;
  }

  async watchCurrentTrade(everyCycle = false): Promise<void> {
    const trade = this.state.trade;
    if (!trade) return;
    const fingerprint = JSON.stringify([trade.id, trade.status, trade.orders]);
    // Once a cycle an open trade is re-sent even unchanged: a monitor that was terminated is started
    // again by the signal-with-start, so no open trade goes unwatched for longer than one cycle.
    if (fingerprint === this.#watchedFingerprint && !(everyCycle && isOpen(trade))) return;
    if (this.#watchedFingerprint === null && !isOpen(trade)) {
      this.#watchedFingerprint = fingerprint;
      return;
    }
    try {
      await bookkeeping.watchOrders.executeWithOptions({ summary: watchSummary(trade) }, [{ trade }]);
      this.#watchedFingerprint = fingerprint;
    } catch (err) {
      // tried again at the next change or cycle; the trade's own protection rests on the exchange meanwhile
      if (!(err instanceof ActivityFailure)) throw err;
      this.state.lastError = `watchOrders: ${failureMessage(err)}`;
    }
  }
}
