import { patched } from '@temporalio/workflow';
import type { ReconcileRequest, SymbolTraderInput, SymbolTraderState } from '../contract/traderState';

/** patch: reconciliation runs on its own durable timer while a trade is open, and on request */
export const CONTINUOUS_RECONCILIATION_PATCH = 'continuous-reconciliation';
export const DEFAULT_RECONCILE_INTERVAL_MS = 5 * 60_000;

/**
 * When the symbol workflow compares its open trade with the exchange again, besides at start and
 * after a failure: every `reconcileIntervalMs` while a trade is open (a durable timer, not the
 * cycle), and at once when asked (the `reconcileNow` signal: the streaming monitor after a
 * reconnect, a person). Workflows that started before this existed keep their old behaviour
 * (`patched`), so their histories replay.
 */
export class ReconcileSchedule {
  readonly enabled: boolean;
  readonly #interval: number;
  #requests: string[] = [];

  constructor(
    private readonly state: Pick<SymbolTraderState, 'nextReconcileAt'>,
    input: Pick<SymbolTraderInput, 'reconcileIntervalMs'>,
  ) {
    this.enabled = patched(CONTINUOUS_RECONCILIATION_PATCH);
    this.#interval = input.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS;
  }

  /** a reconcileNow signal: noted, the main loop acts */
  request(request: ReconcileRequest | undefined): void {
    this.#requests.push(request?.reason?.trim() || 'requested');
  }

  requested(): boolean {
    return this.enabled && this.#requests.length > 0;
  }

  /** the loop's next wake-up: the earlier of `other` and the reconciliation due for an open trade */
  wakeAt(other: number, tradeOpen: boolean): number {
    if (!this.enabled || !tradeOpen || this.state.nextReconcileAt === undefined) return other;
    return Math.min(other, this.state.nextReconcileAt);
  }

  /** why to reconcile now, or null: asked for, or due while a trade is open */
  due(now: number, tradeOpen: boolean): string | null {
    if (!this.enabled) return null;
    if (this.#requests.length > 0) return this.#requests.splice(0).join('; ');
    if (tradeOpen && this.state.nextReconcileAt !== undefined && now >= this.state.nextReconcileAt) return 'periodic';
    return null;
  }

  /** a reconciliation succeeded at `now`: the next one is an interval later */
  done(now: number): void {
    if (this.enabled) this.state.nextReconcileAt = now + this.#interval;
  }
}
