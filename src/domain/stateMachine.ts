import type { TradeEvent } from './events';
import type { Trade } from './trade';
import { onEntryEnded } from './tradeLifecycle/entryEnded';
import { onEntryFill } from './tradeLifecycle/entryFill';
import { onExitFill } from './tradeLifecycle/exitFill';
import { onPositionGone } from './tradeLifecycle/positionGone';
import { onProtection } from './tradeLifecycle/protectionEvent';
import { hasApplied, ignore, type Transition } from './tradeLifecycle/transition';

/**
 * The trade lifecycle as a pure function: (trade, event) -> (trade, effects). The symbol workflow
 * calls it for every order event and carries out the effects through activities; it never mutates
 * its input, so a replayed workflow rebuilds exactly the same state.
 *
 *   PENDING --entry fill (partial or full)--> ACTIVE --open quantity reaches 0--> CLOSED
 *   PENDING --entry cancelled/expired, nothing filled--> CANCELLED
 *
 * Rules a trader can rely on:
 * - Every fill that leaves base currency in the account asks for protection at once
 *   (ENSURE_PROTECTION with the whole open quantity): the first partial fill, every further entry
 *   fill, a partial manual close (the resting protection is now larger than the position), and the
 *   entry's remainder being cancelled (the filled part stays protected).
 * - Signals arrive at least once: an event whose id was applied before changes nothing.
 * - Late entry fill: an exchange can fill an entry just before a cancel lands. A fill on a CANCELLED
 *   or CLOSED trade is real base currency in the account, so the trade is re-opened as ACTIVE and
 *   protected (and any remainder of the entry cancelled), rather than leaving a naked position that
 *   no workflow owns. The JOURNAL effect says so.
 * - Exit fills beyond the open quantity (a tracker glitch, or a balance that is not this trade's)
 *   are recorded only up to the open quantity, so open quantity is never negative and PnL only
 *   counts this trade's coins. Exit fills before any entry fill are refused with a reason.
 * - Protection placed or adjusted on a trade that is already over is recorded and cancelled at once
 *   (CANCEL_PROTECTION): a sell order for coins the trade no longer holds must not rest.
 * - Protection events are facts about the exchange and are recorded in PENDING too (an OTOCO's OCO
 *   rests with the entry); they never change the status.
 * - Other events on CLOSED/CANCELLED trades are ignored with a reason.
 * - The ENTRY ref turns FILLED when the entry is complete (the exchange says so on the fill, or
 *   the fills reach its quantity), so the record never shows a working entry that is done.
 * - A sliced trade (several entry orders, one OTOCO per slice) keeps each slice's entry on its own
 *   (src/domain/entryOrders.ts): one slice's entry ending leaves the others working and the trade
 *   as it is; the entry as a whole has ended (PENDING -> CANCELLED when nothing filled) only when
 *   every slice's has.
 * - Effects come in the order to carry them out: ENSURE_PROTECTION first (money at risk), then
 *   CANCEL_PROTECTION / CANCEL_ENTRY, then JOURNAL (one per applied event, from === to when the
 *   status did not change).
 *
 * Quantities are summed as exact decimals; "flat" allows a relative 1e-9 of the trade's size for
 * quantities that reached us as floats.
 *
 * One file per kind of event in ./tradeLifecycle (entryFill, entryEnded, exitFill, protectionEvent,
 * positionGone), with what they share beside them: the transition and its bookkeeping, quantities,
 * settlement, the order refs, the usable-fill check.
 */

export type { TradeEffect, Transition } from './tradeLifecycle/transition';
export { tradeQuantities } from './tradeLifecycle/quantities';

export function applyTradeEvent(trade: Trade, event: TradeEvent): Transition {
  if (event.tradeId !== trade.id) {
    return ignore(trade, `event ${event.eventId} (${event.type}) is for trade ${event.tradeId}, not ${trade.id}`);
  }
  if (hasApplied(trade, event.eventId)) {
    return ignore(trade, `event ${event.eventId} (${event.type}) was already applied to ${trade.id}`);
  }
  switch (event.type) {
    case 'ENTRY_FILLED':
      return onEntryFill(trade, event);
    case 'ENTRY_CANCELLED':
    case 'ENTRY_EXPIRED':
      return onEntryEnded(trade, event);
    case 'STOP_FILLED':
    case 'TARGET_FILLED':
    case 'MANUAL_CLOSE':
      return onExitFill(trade, event);
    case 'PROTECTION_PLACED':
    case 'PROTECTION_ADJUSTED':
      return onProtection(trade, event);
    case 'POSITION_GONE':
      return onPositionGone(trade, event);
  }
}
