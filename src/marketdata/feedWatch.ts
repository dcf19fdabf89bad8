import { nextWatch, type FeedWatchEntry } from '../domain/marketDataGuard';
import { readStateFile, writeStateFile } from './stateFile';

/**
 * When each symbol's newest candle was first seen (wall clock), so that a feed that stopped is
 * noticed (FROZEN_FEED) even across worker restarts: kept in a small file under data/ when a path
 * is given, else in memory.
 */
export class FeedWatch {
  readonly #entries: Record<string, FeedWatchEntry>;

  constructor(readonly path?: string) {
    this.#entries = path ? readStateFile(path, {}, isEntries) : {};
  }

  get(symbol: string): FeedWatchEntry | null {
    return this.#entries[symbol] ?? null;
  }

  /** records this look at `symbol`'s newest candle; returns the entry as it is now */
  see(symbol: string, candleAt: number, wallNow: number): FeedWatchEntry {
    const before = this.#entries[symbol] ?? null;
    const after = nextWatch(before, candleAt, wallNow);
    if (after !== before) {
      this.#entries[symbol] = after;
      if (this.path) writeStateFile(this.path, this.#entries);
    }
    return after;
  }
}

function isEntries(v: unknown): v is Record<string, FeedWatchEntry> {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) &&
    Object.values(v).every((e) => typeof e === 'object' && e !== null && Number.isFinite((e as FeedWatchEntry).candleAt) && Number.isFinite((e as FeedWatchEntry).since))
  );
}
