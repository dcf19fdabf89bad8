import { SEEN_EVENT_IDS_LIMIT, type SymbolTraderState } from '../contract/traderState';

/**
 * Order events arrive at least once: the ids already applied are remembered in the state (the most
 * recent ones, so the state stays small) and carried over continue-as-new.
 */
export class SeenEvents {
  readonly #ids: Set<string>;

  constructor(private readonly state: SymbolTraderState) {
    this.#ids = new Set(state.seenEventIds);
  }

  has(eventId: string): boolean {
    return this.#ids.has(eventId);
  }

  remember(eventId: string): void {
    this.#ids.add(eventId);
    this.state.seenEventIds.push(eventId);
    if (this.state.seenEventIds.length > SEEN_EVENT_IDS_LIMIT) {
      for (const old of this.state.seenEventIds.splice(0, this.state.seenEventIds.length - SEEN_EVENT_IDS_LIMIT)) this.#ids.delete(old);
    }
  }
}
