import type { OrderRef } from './trade';

/** what every fill event carries: one execution on the exchange */
interface FillFacts {
  eventId: string;
  tradeId: string;
  price: number;
  quantity: number;
  fee: number;
  at: number;
}

/**
 * What happens to a trade, as the state machine consumes it. Order events come from the order
 * tracker (through the monitor workflow's signals) and may arrive more than once: `eventId` is the
 * dedupe key and must be stable for the same exchange fact (e.g. `<clientOrderId>:fill:<tradeId>`).
 * Quantities are the delta of this event (not cumulative); prices and fees in quote currency.
 */
export type TradeEvent =
  | (FillFacts & {
      type: 'ENTRY_FILLED';
      /** the exchange reported the entry order completely filled when this fill was read */
      entryComplete?: boolean;
      /** which of a sliced trade's entry orders (client id); absent for a trade with one entry */
      entryOrder?: string;
    })
  /** entryOrder: which slice's entry ended (the others may still fill); absent: the trade's one entry */
  | { type: 'ENTRY_CANCELLED'; eventId: string; tradeId: string; reason: string; at: number; entryOrder?: string }
  | { type: 'ENTRY_EXPIRED'; eventId: string; tradeId: string; at: number; entryOrder?: string }
  | (FillFacts & { type: 'STOP_FILLED' })
  | (FillFacts & { type: 'TARGET_FILLED'; targetIndex: number })
  | (FillFacts & {
      type: 'MANUAL_CLOSE';
      /** why it was closed (e.g. flattened on a portfolio HALT); becomes the trade's close reason */
      reason?: string;
    })
  /** the OMS placed (or re-placed) protection; replaces the trade's open STOP/TARGET/OCO refs */
  | { type: 'PROTECTION_PLACED'; eventId: string; tradeId: string; orders: OrderRef[]; at: number }
  /**
   * reconciliation found the position gone from the account (no coins, no protection) and no fill of
   * the trade's own orders that explains it: the trade ends CLOSED with the reason, its exit unknown
   */
  | { type: 'POSITION_GONE'; eventId: string; tradeId: string; quantity: number; reason: string; at: number }
  /** ADJUST_TRADE carried out on the exchange */
  | {
      type: 'PROTECTION_ADJUSTED';
      eventId: string;
      tradeId: string;
      stopLossPrice: number;
      takeProfitPrices: number[];
      orders: OrderRef[];
      at: number;
    };

export type TradeEventType = TradeEvent['type'];
