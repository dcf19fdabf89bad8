import type { TradeLogKind, TradeLogRow } from '../domain/tradeLogRow';
import type { TradeEvent } from '../domain/events';
import { applyTradeEvent, type TradeEffect } from '../domain/stateMachine';
import type { Trade } from '../domain/trade';
import { placedProtectionRows } from './decisions';
import { beforeEvents } from './omsResults';

/**
 * The trader core shared by the symbolTrader workflow and the backtest: how an OMS result is taken
 * over and how order events go through the trade state machine, each effect carried out through
 * ports. No Temporal import here: the workflow hands in its activities (wrapped in its `attempt`),
 * its journal and its logger; the backtest hands in the same OMS steps over an in-process exchange.
 * The order of the port calls IS the workflow's command sequence: change it only behind `patched()`.
 */

/** an OMS or reconcile result: the trade after its events, the events, and what a trader must see */
export type TradeResult = { trade: Trade | null; events: TradeEvent[]; alerts?: string[] };

export type Journal = (kind: TradeLogKind, detail: string, trade?: Trade, action?: string, sequence?: number, columns?: Partial<TradeLogRow>) => void;

export interface TradeKeeperPorts {
  getTrade(): Trade | null;
  setTrade(trade: Trade | null): void;
  journal: Journal;
  seen: { has(eventId: string): boolean; remember(eventId: string): void };
  log: { warn(message: string, attrs: Record<string, unknown>): void; info(message: string, attrs: Record<string, unknown>): void };
  /** runs an effect step; undefined when it failed for good (the caller records that) */
  attempt(what: string, work: () => Promise<TradeResult>): Promise<TradeResult | undefined>;
  ensureProtection(input: { trade: Trade; quantity: number }): Promise<TradeResult>;
  cancelPendingOrder(input: { trade: Trade; reason: string }): Promise<TradeResult>;
  cancelProtection(input: { trade: Trade; reason: string }): Promise<TradeResult>;
  /**
   * whether protection an ENSURE_PROTECTION step placed gets ORDER rows of its own; asked only when
   * it did place some (the workflow answers with a patched() marker, the backtest always yes)
   */
  protectionOrderRows?: () => boolean;
}

/** an ORDER row of protection an ENSURE_PROTECTION step placed, written after its transition's own row */
type OrderRow = { detail: string; trade: Trade; columns: Partial<TradeLogRow> };

export class TradeKeeper {
  constructor(private readonly ports: TradeKeeperPorts) {}

  /**
   * Take an OMS (or reconcile) result. The OMS returns the trade with its events already applied;
   * the events still go through the state machine, from the trade as it was before the call, so
   * that every transition is journaled and every effect carried out here (effects are idempotent:
   * protection the OMS already placed is found, not placed twice). The OMS's view of the order refs
   * is kept, and a status it reports that its events do not explain wins.
   */
  async adopt(result: TradeResult): Promise<void> {
    await this.applyEvents(this.takeOmsTrade(result));
  }

  takeOmsTrade(result: TradeResult): TradeEvent[] {
    const { journal } = this.ports;
    const current = this.ports.getTrade();
    const next = result.trade;
    for (const alert of result.alerts ?? []) journal('ORDER', `alert: ${alert}`, next ?? current ?? undefined);
    if (!next) return result.events;
    let base: Trade = current?.id === next.id ? { ...current, orders: next.orders } : beforeEvents(next, result.events);
    const expected = result.events.reduce((t, e) => (e.tradeId === t.id ? applyTradeEvent(t, e).trade : t), base);
    if (expected.status !== next.status) {
      journal('TRANSITION', `${base.status}->${next.status} as the OMS reports it`, next, `${base.status}->${next.status}`);
      base = next;
    }
    this.ports.setTrade(base);
    return result.events;
  }

  /** the state machine decides; this carries out its effects, which may produce further events */
  async applyEvents(events: readonly TradeEvent[]): Promise<void> {
    const { seen, log } = this.ports;
    const queue = [...events];
    for (let event = queue.shift(); event; event = queue.shift()) {
      if (seen.has(event.eventId)) continue;
      seen.remember(event.eventId);
      const trade = this.ports.getTrade();
      if (!trade) {
        log.warn('order event without a trade', { eventId: event.eventId, type: event.type, tradeId: event.tradeId });
        continue;
      }
      const transition = applyTradeEvent(trade, event);
      if (transition.ignored) {
        log.info('order event ignored', { eventId: event.eventId, reason: transition.ignored });
        continue;
      }
      this.ports.setTrade(transition.trade);
      const orderRows: OrderRow[] = [];
      for (const effect of transition.effects) queue.push(...(await this.carryOut(effect, event, orderRows)));
      // after the transition's own row (protection is placed first, but read after the fill that set it off)
      for (const row of orderRows) this.ports.journal('ORDER', row.detail, row.trade, 'ENSURE_PROTECTION', undefined, row.columns);
    }
  }

  private async carryOut(effect: TradeEffect, cause: TradeEvent, orderRows: OrderRow[]): Promise<TradeEvent[]> {
    const p = this.ports;
    const trade = p.getTrade();
    // an exchange fact is logged at the exchange's time; protection events carry the OMS's own
    const at = cause.type === 'PROTECTION_PLACED' || cause.type === 'PROTECTION_ADJUSTED' ? undefined : cause.at;
    if (effect.type === 'JOURNAL') {
      const action = effect.from === effect.to ? cause.type : `${effect.from}->${effect.to}`;
      p.journal('TRANSITION', effect.detail, trade ?? undefined, action, undefined, at !== undefined ? { at } : {});
      return [];
    }
    if (!trade || trade.id !== effect.tradeId) return [];
    const result = await p.attempt(effect.type, () =>
      effect.type === 'ENSURE_PROTECTION'
        ? p.ensureProtection({ trade, quantity: effect.quantity })
        : effect.type === 'CANCEL_ENTRY'
          ? p.cancelPendingOrder({ trade, reason: `remainder of the entry is no longer wanted (${cause.type})` })
          : p.cancelProtection({ trade, reason: `trade is ${trade.status}` }),
    );
    if (!result) return [];
    if (effect.type === 'ENSURE_PROTECTION' && result.trade) {
      const placed = placedProtectionRows(trade, result.trade);
      if (placed.length > 0 && p.protectionOrderRows?.()) {
        const after = result.trade;
        orderRows.push(...placed.map((row) => ({ ...row, trade: after, columns: { ...row.columns, ...(at !== undefined ? { at } : {}) } })));
      }
    }
    return this.takeOmsTrade(result);
  }
}
